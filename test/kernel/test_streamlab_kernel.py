"""The streamlab kernel under jupyter_kernel_test (Debian's python3-jupyter-kernel-test).

Run by test/kernel/jupyter-kernel.test.ts against a kernelspec installed into a temporary JUPYTER_PATH.
By hand:  node bin/streamlab.js install --prefix /tmp/sl && JUPYTER_PATH=/tmp/sl/share/jupyter \
          /usr/bin/python3 -m unittest -v test/kernel/test_streamlab_kernel.py
"""
import json
import time
import unittest
from queue import Empty

import jupyter_kernel_test
from jupyter_client.utils import run_sync

TIMEOUT = 60


class StreamlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "streamlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.ma", "matches": {"max"}},
        {"text": "const completeMe = 1; completeM", "matches": {"completeMe"}},
        # streamlab's API is in scope, typed, without an import
        {"text": "DisplayHan", "matches": {"DisplayHandle"}},
        {"text": "%lsmag", "matches": {"lsmagic"}},
    ]
    complete_code_samples = ["1 + 1", "%lsmagic", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const xs = [1,"]

    code_generate_error = 'throw new Error("generated error")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"stream" + "lab"', "result": "'streamlab'"},
        {"code": "%lsmagic", "mime": "text/html"},
    ]
    code_display_data = [
        {
            "code": 'showOnce({ toMimeBundle: () => ({ "text/plain": "x", "text/html": "<b>x</b>" }) })',
            "mime": "text/html",
        },
    ]
    code_inspect_sample = "Math.max"

    # --- streamlab's own checks, through the real protocol -------------------------------------------

    def collect(self, msg_id, until_idle=True, timeout=TIMEOUT):
        """IOPub messages parented to msg_id until the kernel goes idle for it."""
        out = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = run_sync(self.kc.iopub_channel.get_msg)(timeout=1)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            out.append(msg)
            if until_idle and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return out
        raise AssertionError(f"kernel did not finish {msg_id} within {timeout}s: {out}")

    def run_cell(self, code, timeout=TIMEOUT):
        msg_id = self.kc.execute(code)
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        return reply, self.collect(msg_id, timeout=timeout)

    def execute_reply(self, msg_id, timeout=TIMEOUT):
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        return reply

    def test_streamlab_password_prompt_is_hidden_and_never_shown(self):
        self.flush_channels()
        # Nothing listens on port 1, so the connect fails after the password was typed: it must not show it.
        code = "%kafka connect 127.0.0.1:1 --sasl-mechanism plain --username alice"
        msg_id = self.kc.execute(code, allow_stdin=True)
        request = self.kc.get_stdin_msg(timeout=TIMEOUT)
        self.assertEqual(request["msg_type"], "input_request")
        self.assertEqual(request["parent_header"]["msg_id"], msg_id)
        self.assertIs(request["content"]["password"], True)
        self.assertIn("alice", request["content"]["prompt"])
        self.kc.input("s3cret-typed-pw")
        reply = self.execute_reply(msg_id, timeout=120)
        msgs = self.collect(msg_id, timeout=120)
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertTrue(errors[0]["evalue"].startswith("%kafka connect: cannot reach 127.0.0.1:1"), errors[0]["evalue"])
        self.assertNotIn("s3cret-typed-pw", json.dumps(msgs, default=str) + json.dumps(reply, default=str))
        # A frontend that cannot answer (allow_stdin false) is told what to do instead, in one line.
        msg_id = self.kc.execute(code, allow_stdin=False)
        reply = self.execute_reply(msg_id)
        errors = [m["content"] for m in self.collect(msg_id) if m["msg_type"] == "error"]
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(len(errors), 1)
        self.assertIn("--password-env VAR", errors[0]["evalue"])

    def test_streamlab_magic_errors_are_one_line(self):
        self.flush_channels()
        reply, msgs = self.run_cell("%lsmagc")
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m["content"] for m in msgs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0]["ename"], "MagicError")
        self.assertEqual(errors[0]["traceback"], ["unknown magic %lsmagc (did you mean %lsmagic?); %lsmagic lists them all"])
        reply, _ = self.run_cell("1 + 1")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_streamlab_api_has_types_for_hover_and_import(self):
        self.flush_channels()
        msg_id = self.kc.inspect("isDisplayable", 3)
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertTrue(reply["content"]["found"])
        self.assertIn("value is Displayable", reply["content"]["data"]["text/plain"])
        code = 'import { newDisplayId } from "streamlab";\nconst typedId: string = newDisplayId("x");\ntypedId.startsWith("x-")'
        reply, msgs = self.run_cell(code)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"], ["true"])
        # A wrong type against the API is a compile error: the declarations are really used.
        reply, msgs = self.run_cell('const wrongId: number = newDisplayId("x");')
        self.assertEqual(reply["content"]["status"], "error")

    def test_streamlab_magic_option_completion_and_hover(self):
        self.flush_channels()
        reply, _ = self.run_cell(
            'registerMagic({ name: "opts", kind: "line", summary: "test magic", usage: "%opts [--rate N] [--rows N]",\n'
            '  options: [{ name: "rate", type: "number", help: "per second" }, { name: "rows", type: "number", help: "how many" }],\n'
            "  run: () => undefined });"
        )
        self.assertEqual(reply["content"]["status"], "ok")
        self.kc.complete("%opts --r")
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertEqual(set(reply["content"]["matches"]), {"--rate", "--rows"})
        self.assertEqual((reply["content"]["cursor_start"], reply["content"]["cursor_end"]), (6, 9))
        self.kc.inspect("%opts --rate 5", 2)
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        self.assertTrue(reply["content"]["found"])
        self.assertIn("--rate NUMBER", reply["content"]["data"]["text/plain"])

    def test_streamlab_magic_help(self):
        self.flush_channels()
        reply, msgs = self.run_cell("%lsmagic?")
        self.assertEqual(reply["content"]["status"], "ok")
        text = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")
        self.assertIn("usage: %lsmagic", text)

    def test_streamlab_bad_messages_are_dropped(self):
        self.flush_channels()
        socket = self.kc.shell_channel.socket
        session = self.kc.session
        good = session.msg("execute_request", {"code": "1", "silent": False})
        frames = session.serialize(good)  # [b"<IDS|MSG>", signature, header, parent, metadata, content]
        socket.send_multipart([frames[0], b"0" * 64] + frames[2:])  # bad HMAC
        broken = [b"{not json", b"{}", b"{}", b"{}"]
        socket.send_multipart([frames[0], session.sign(broken)] + broken)  # malformed JSON, correctly signed
        socket.send_multipart(frames[2:])  # no delimiter
        socket.send_multipart([b"<IDS|MSG>"])  # truncated
        reply, msgs = self.run_cell("40 + 2")
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"]
        self.assertEqual(results, ["42"])

    def interrupt_running_cell(self, code, interrupt):
        self.flush_channels()
        msg_id = self.kc.execute(code)
        # Wait until the cell is really running before interrupting it.
        deadline = time.time() + TIMEOUT
        started = False
        while not started and time.time() < deadline:
            try:
                msg = run_sync(self.kc.iopub_channel.get_msg)(timeout=1)
            except Empty:
                continue
            started = msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_input"
        self.assertTrue(started)
        time.sleep(0.5)  # let the code reach its loop or await; not an assertion about speed
        interrupt()
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        after, _ = self.run_cell("'still alive'")
        self.assertEqual(after["content"]["status"], "ok")

    def test_streamlab_interrupt_request_on_control(self):
        def send_interrupt():
            msg = self.kc.session.msg("interrupt_request", {})
            self.kc.control_channel.send(msg)

        self.interrupt_running_cell("await new Promise(() => {})", send_interrupt)

    def test_streamlab_sigint_interrupts_async_and_sync_cells(self):
        self.interrupt_running_cell("await new Promise(() => {})", self.km.interrupt_kernel)
        self.interrupt_running_cell("while (true) {}", self.km.interrupt_kernel)

    def test_streamlab_display_updates_after_cell_finished(self):
        self.flush_channels()
        create = (
            'const liveHandle = new DisplayHandle({ "text/plain": "tick 0" });\n'
            "let liveTicks = 0;\n"
            "const liveTimer = setInterval(() => {\n"
            "  liveTicks++;\n"
            '  liveHandle.update({ "text/plain": `tick ${liveTicks}` });\n'
            "  if (liveTicks >= 3) clearInterval(liveTimer);\n"
            "}, 200);"
        )
        create_id = self.kc.execute(create)
        wait_id = self.kc.execute("while (liveTicks < 3) await new Promise((r) => setTimeout(r, 50)); liveTicks")
        seen = {"display": None, "updates": []}
        deadline = time.time() + TIMEOUT
        done = set()
        while time.time() < deadline and len(done) < 2 or len(seen["updates"]) < 3 and time.time() < deadline:
            try:
                msg = run_sync(self.kc.iopub_channel.get_msg)(timeout=1)
            except Empty:
                continue
            kind = msg["msg_type"]
            parent = msg["parent_header"].get("msg_id")
            if kind == "display_data" and parent == create_id:
                seen["display"] = msg["content"]["transient"]["display_id"]
            if kind == "update_display_data":
                seen["updates"].append((parent, msg["content"]["transient"]["display_id"], msg["content"]["data"]["text/plain"]))
            if kind == "status" and msg["content"]["execution_state"] == "idle" and parent in (create_id, wait_id):
                done.add(parent)
        self.assertIsNotNone(seen["display"])
        self.assertEqual([u[2] for u in seen["updates"]], ["tick 1", "tick 2", "tick 3"])
        # Updates carry the display's id; like ipykernel, they are parented to the request running at the time
        # (here the waiting cell, or the creating cell while it still ran).
        self.assertTrue(all(u[1] == seen["display"] and u[0] in (create_id, wait_id) for u in seen["updates"]))
        self.assertIn(wait_id, [u[0] for u in seen["updates"]])


if __name__ == "__main__":
    unittest.main()
