"""The streamlab kernel under jupyter_kernel_test (Debian's python3-jupyter-kernel-test).

Run by test/kernel/jupyter-kernel.test.ts against a kernelspec installed into a temporary JUPYTER_PATH.
By hand:  node bin/streamlab.js install --prefix /tmp/sl && JUPYTER_PATH=/tmp/sl/share/jupyter \
          /usr/bin/python3 -m unittest -v test/kernel/test_streamlab_kernel.py
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from queue import Empty

import jupyter_kernel_test
from jupyter_client import BlockingKernelClient, KernelManager
from jupyter_client.connect import write_connection_file
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
from jupyter_client.utils import run_sync

TIMEOUT = 60
# The kernel compiles streamlab's API at start; on a loaded machine that takes longer than jupyter_client's 60 s.
STARTUP_TIMEOUT = 240


class StreamlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "streamlab"
    language_name = "typescript"

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, startup_timeout=STARTUP_TIMEOUT)
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
    complete_code_samples = ["1 + 1", "%lsmagic", "function f() { return 1; }", "const s = `done ${1}`"]
    incomplete_code_samples = ["function f() {", "const xs = [1,", 'const s = "unterminated', "const t = `template ${1}", "const t = `multi\nline"]
    invalid_code_samples = ["1 +* 2", "}", "const x = ;"]
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "6 * 7"

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
        kinds = [m["msg_type"] for m in out]
        raise AssertionError(f"kernel did not finish {msg_id} within {timeout}s: {len(out)} messages, last {kinds[-5:]}: {out[-1:]}")

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
        # A wrong type against the API is a type error (the declarations are really used): a warning on
        # stderr by default, the cell runs; under %typecheck strict the cell does not run.
        reply, msgs = self.run_cell('const wrongId: number = newDisplayId("x");')
        self.assertEqual(reply["content"]["status"], "ok")
        warning = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
        self.assertIn("warning: TypeScript: 1 type error", warning)
        self.assertIn("not assignable to type 'number'", warning)
        reply, _ = self.run_cell("%typecheck strict")
        self.assertEqual(reply["content"]["status"], "ok")
        try:
            reply, msgs = self.run_cell('const wrongId2: number = newDisplayId("x");')
            self.assertEqual(reply["content"]["status"], "error")
            self.assertEqual([m["content"]["ename"] for m in msgs if m["msg_type"] == "error"], ["TypeScriptError"])
        finally:
            self.run_cell("%typecheck warn")

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

    # --- what VS Code's Jupyter extension relies on ----------------------------------------------------

    def shell_reply(self, msg_id, timeout=TIMEOUT):
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        return reply

    def test_streamlab_kernel_info_for_vscode(self):
        self.flush_channels()
        reply = self.shell_reply(self.kc.kernel_info())
        content = reply["content"]
        self.assertEqual(content["status"], "ok")
        self.assertEqual(content["protocol_version"], "5.3")
        info = content["language_info"]
        self.assertEqual((info["name"], info["mimetype"], info["file_extension"]), ("typescript", "text/typescript", ".ts"))
        self.assertRegex(info["version"], r"^\d+\.\d+")
        self.assertEqual(info["codemirror_mode"]["name"], "javascript")
        self.assertTrue(info["codemirror_mode"]["typescript"])
        self.assertIn("streamlab", content["banner"])
        self.assertTrue(content["help_links"])
        for link in content["help_links"]:
            self.assertEqual(set(link), {"text", "url"})
            self.assertTrue(link["url"].startswith("https://"))
        self.assertIs(content["debugger"], False)

    def test_streamlab_complete_reply_for_vscode(self):
        self.flush_channels()
        code = "const vsObject = { alpha: 1, beta() { return 2; } };\nvsObject.al"
        reply = self.shell_reply(self.kc.complete(code, len(code)))
        content = reply["content"]
        self.assertEqual(content["status"], "ok")
        self.assertIn("alpha", content["matches"])
        self.assertEqual((content["cursor_start"], content["cursor_end"]), (len(code) - 2, len(code)))
        types = content["metadata"]["_jupyter_types_experimental"]
        self.assertEqual(len(types), len(content["matches"]))
        alpha = next(t for t in types if t["text"] == "alpha")
        self.assertEqual(alpha, {"start": len(code) - 2, "end": len(code), "text": "alpha", "type": "property"})
        # Magics complete too, typed as magics.
        reply = self.shell_reply(self.kc.complete("%lsmag", 6))
        self.assertEqual(reply["content"]["metadata"]["_jupyter_types_experimental"], [{"start": 1, "end": 6, "text": "lsmagic", "type": "magic"}])

    def test_streamlab_inspect_for_vscode(self):
        self.flush_channels()
        reply = self.shell_reply(self.kc.inspect("Math.max(1, 2)", 6, detail_level=0))
        content = reply["content"]
        self.assertEqual(content["status"], "ok")
        self.assertTrue(content["found"])
        self.assertIn("max(...values: number[]): number", content["data"]["text/plain"])
        self.assertIn("text/markdown", content["data"])
        reply = self.shell_reply(self.kc.inspect("   ", 1))
        self.assertFalse(reply["content"]["found"])

    def test_streamlab_comm_info_and_unknown_comm_open(self):
        self.flush_channels()
        reply = self.shell_reply(self.kc.comm_info())
        self.assertEqual(reply["content"], {"status": "ok", "comms": {}})
        reply = self.shell_reply(self.kc.comm_info(target_name="jupyter.widget"))
        self.assertEqual(reply["content"]["comms"], {})
        # A comm to a target nobody registered (ipywidgets' manager, VS Code's own probes) is closed at once.
        comm_id = uuid.uuid4().hex
        msg = self.kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget", "data": {}})
        self.kc.shell_channel.send(msg)
        closed = self.collect(msg["header"]["msg_id"])
        close = [m for m in closed if m["msg_type"] == "comm_close"]
        self.assertEqual([m["content"]["comm_id"] for m in close], [comm_id])
        reply, _ = self.run_cell("1")
        self.assertEqual(reply["content"]["status"], "ok")

    # --- rough edges (issue 19) -------------------------------------------------------------------------

    def test_streamlab_output_flood_arrives_whole_and_in_order(self):
        self.flush_channels()
        n = 10000
        reply, msgs = self.run_cell(f"for (let i = 0; i < {n}; i++) console.log(`flood line ${{i}}`);", timeout=120)
        self.assertEqual(reply["content"]["status"], "ok")
        streams = [m for m in msgs if m["msg_type"] == "stream"]
        text = "".join(m["content"]["text"] for m in streams)
        self.assertEqual(text.splitlines(), [f"flood line {i}" for i in range(n)])
        # Coalesced: far fewer messages than lines, and the kernel went idle (collect() waited for it).
        self.assertLess(len(streams), n // 10)
        self.assertEqual(msgs[-1]["content"], {"execution_state": "idle"})
        reply, _ = self.run_cell("1 + 1")
        self.assertEqual(reply["content"]["status"], "ok")

    def test_streamlab_nested_top_level_await(self):
        self.flush_channels()
        reply, msgs = self.run_cell("await (await Promise.resolve(Promise.resolve(3)))")
        self.assertEqual(reply["content"]["status"], "ok", msgs)
        self.assertEqual([m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"], ["3"])
        code = (
            'const server = require("node:http").createServer((q: any, s: any) => s.end(JSON.stringify({ n: 42 })));\n'
            'await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));\n'
            "const u = `http://127.0.0.1:${server.address().port}/`;\n"
            "const fetched = await (await fetch(u)).json();\n"
            "server.close();\n"
            "fetched.n"
        )
        reply, msgs = self.run_cell(code)
        self.assertEqual(reply["content"]["status"], "ok", msgs)
        self.assertEqual([m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"], ["42"])


def kernel_argv(connection_file):
    spec = KernelSpecManager().get_kernel_spec("streamlab")
    return [a.replace("{connection_file}", connection_file) for a in spec.argv]


def wait_until(what, check, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child of ours is dead too.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def execute(kc, code, timeout=TIMEOUT):
    """Run a cell; its reply and IOPub messages until idle."""
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    msgs = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        msgs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return reply, msgs


def result_text(msgs):
    return [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"]


class StreamlabLifecycleTests(unittest.TestCase):
    """Kernels of their own: each test ends its kernel (exit, parent death, restart)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="streamlab-lifecycle-")

    def test_streamlab_notebook_folder_anywhere_and_exit(self):
        # A notebook in a folder outside the checkout imports streamlab's dependencies (danfojs-node).
        km = KernelManager(kernel_name="streamlab")
        km.start_kernel(cwd=self.tmp)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            marker = os.path.join(self.tmp, "hooks-ran")
            code = (
                'import * as dfd from "danfojs-node";\n'
                'const df = new dfd.DataFrame([[1, "a"], [2, "b"]], { columns: ["x", "y"] });\n'
                "df.values.map((r: any[]) => r[0])"
            )
            reply, msgs = execute(kc, code, timeout=120)
            self.assertEqual(reply["content"]["status"], "ok", msgs)
            self.assertEqual(result_text(msgs), ["[ 1, 2 ]"])
            # danfojs types `values` as a union: a type error, shown as a warning; the cell ran anyway.
            stderr = "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")
            self.assertIn("warning: TypeScript:", stderr)
            reply, msgs = execute(kc, f'onShutdown(() => {{ require("node:fs").writeFileSync({json.dumps(marker)}, "stopped"); }});\nprocess.cwd()')
            self.assertEqual(result_text(msgs), [repr(os.path.realpath(self.tmp))])
            # `exit` alone, as typed in jupyter console: ask_exit payload, then the kernel shuts down cleanly.
            reply, msgs = execute(kc, "exit")
            self.assertEqual(reply["content"]["status"], "ok")
            self.assertEqual(reply["content"]["payload"], [{"source": "ask_exit", "keepkernel": False}])
            self.assertEqual([m for m in msgs if m["msg_type"] == "error"], [])
            wait_until("the kernel to exit after exit", lambda: not km.is_alive(), timeout=30)
            with open(marker) as f:
                self.assertEqual(f.read(), "stopped")
        finally:
            kc.stop_channels()
            if km.is_alive():
                km.shutdown_kernel(now=True)

    def test_streamlab_kernel_exits_when_its_parent_dies(self):
        connection_file = os.path.join(self.tmp, "kernel.json")
        write_connection_file(connection_file, key=uuid.uuid4().hex.encode(), ip="127.0.0.1")
        argv = " ".join(f"'{a}'" for a in kernel_argv(connection_file))
        # A parent that is not us: a shell that starts the kernel and waits for it; we kill the shell.
        parent = subprocess.Popen(["/bin/sh", "-c", f"{argv} & echo $! ; wait"], stdout=subprocess.PIPE, text=True)
        kernel_pid = int(parent.stdout.readline())
        parent.stdout.close()
        kc = BlockingKernelClient(connection_file=connection_file)
        kc.load_connection_file()
        kc.start_channels(hb=False)  # no manager: the heartbeat would call a slow-starting kernel dead
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            marker = os.path.join(self.tmp, "hooks-ran")
            code = (
                f'onShutdown(() => {{ require("node:fs").writeFileSync({json.dumps(marker)}, "stopped"); }});\n'
                "setInterval(() => undefined, 1000);\n"
                "process.pid"
            )
            reply, msgs = execute(kc, code)
            self.assertEqual(result_text(msgs), [str(kernel_pid)])
            parent.kill()  # SIGKILL: the kernel is not told, it has to notice
            parent.wait()
            wait_until("the orphaned kernel to exit", lambda: not pid_alive(kernel_pid), timeout=60)
            with open(marker) as f:
                self.assertEqual(f.read(), "stopped")
        finally:
            kc.stop_channels()
            if pid_alive(kernel_pid):
                os.kill(kernel_pid, signal.SIGKILL)

    def test_streamlab_live_views_show_stopped_after_restart(self):
        km = KernelManager(kernel_name="streamlab")
        km.start_kernel(cwd=self.tmp)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=STARTUP_TIMEOUT)
            setup = (
                'const orders = new MemoryStream("region STRING, amount DOUBLE");\n'
                'const totals = orders.toDF().groupBy(col("region")).agg(sum("amount").alias("revenue"));\n'
                "let tick = 0;\n"
                'const feeder = setInterval(() => { tick++; orders.addData([{ region: "east", amount: tick }]); }, 200);'
            )
            reply, msgs = execute(kc, setup)
            self.assertEqual(reply["content"]["status"], "ok", msgs)
            reply, msgs = execute(kc, 'display(totals, { name: "restart_view", trigger: { processingTime: "200 milliseconds" } });')
            self.assertEqual(reply["content"]["status"], "ok", msgs)
            shown = [m for m in msgs if m["msg_type"] == "display_data" and m["content"].get("transient", {}).get("display_id")]
            self.assertEqual(len(shown), 1)
            display_id = shown[0]["content"]["transient"]["display_id"]
            self.assertIn("state:", shown[0]["content"]["data"]["text/plain"])
            updates = []

            def drain():
                # Bounded: the live view updates every 200 ms, so IOPub may never fall quiet.
                stop = time.time() + 2
                while time.time() < stop:
                    try:
                        msg = kc.get_iopub_msg(timeout=0.5)
                    except Empty:
                        return
                    if msg["msg_type"] == "update_display_data" and msg["content"]["transient"]["display_id"] == display_id:
                        updates.append(msg["content"]["data"]["text/plain"])

            def active_seen():
                drain()
                return any("state: active" in u for u in updates)

            wait_until("the live view to be active", active_seen)
            self.assertFalse(any("state: stopped" in u for u in updates))
            km.restart_kernel(now=False)
            wait_until("the final stopped state", lambda: (drain(), any("state: stopped" in u for u in updates))[1], timeout=30)
            self.assertIn("state: stopped", updates[-1])
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


if __name__ == "__main__":
    unittest.main()
