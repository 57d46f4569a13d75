/**
 * The kernel through Jupyter's own tooling: `jupyter kernelspec list`, jupyter_kernel_test's protocol suite
 * (plus streamlab's checks: one-line magic errors, bad messages dropped, interrupts, live display updates),
 * and `jupyter nbconvert --execute` on a fixture notebook.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tool } from "../support/tools";
import { installedKernel, run, type JupyterEnv } from "./support";

let jupyter: JupyterEnv;
beforeAll(() => {
  jupyter = installedKernel();
});
afterAll(() => jupyter?.cleanup());

describe.runIf(tool("jupyter"))("streamlab install", () => {
  it("writes a kernelspec that jupyter kernelspec list shows", async () => {
    const spec = JSON.parse(fs.readFileSync(path.join(jupyter.dir, "share/jupyter/kernels/streamlab/kernel.json"), "utf8"));
    expect(spec.display_name).toBe("TypeScript (streamlab)");
    expect(spec.language).toBe("typescript");
    expect(spec.argv.slice(-2)).toEqual(["kernel", "{connection_file}"]);
    for (const logo of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) {
      expect(fs.existsSync(path.join(jupyter.dir, "share/jupyter/kernels/streamlab", logo))).toBe(true);
    }
    const list = await run("/usr/bin/python3", ["-m", "jupyter_client.kernelspecapp", "list", "--json"], { env: jupyter.env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).kernelspecs.streamlab.spec.display_name).toBe("TypeScript (streamlab)");
  });
});

describe.runIf(tool("jupyter-kernel-test"))("jupyter_kernel_test", () => {
  it("passes the protocol suite and streamlab's own kernel checks", async () => {
    const result = await run("/usr/bin/python3", ["-m", "unittest", "-v", "test_streamlab_kernel"], {
      env: jupyter.env,
      cwd: __dirname,
      timeout: 900_000,
    });
    const report = result.stderr;
    expect(report, report).toMatch(/\nOK( \(skipped=\d+\))?\n/);
    expect(result.code, report).toBe(0);
    // jupyter_kernel_test's history and is_complete checks (VS Code uses both) must have run, not been skipped.
    for (const name of ["test_history", "test_is_complete", "test_completion", "test_inspect", "test_kernel_info"]) {
      expect(report).toMatch(new RegExp(`${name} \\(test_streamlab_kernel\\.StreamlabKernelTests\\.${name}\\) \\.\\.\\. ok`));
    }
    // The streamlab-specific tests must have run, not been skipped.
    for (const name of ["api_has_types_for_hover_and_import", "magic_option_completion_and_hover", "bad_messages_are_dropped", "interrupt_request_on_control", "sigint_interrupts_async_and_sync_cells", "display_updates_after_cell_finished", "magic_errors_are_one_line", "password_prompt_is_hidden_and_never_shown",
      "kernel_info_for_vscode", "complete_reply_for_vscode", "inspect_for_vscode", "comm_info_and_unknown_comm_open",
      "output_flood_arrives_whole_and_in_order", "nested_top_level_await", "notebook_folder_anywhere_and_exit",
      "kernel_exits_when_its_parent_dies", "live_views_show_stopped_after_restart"]) {
      expect(report).toContain(`test_streamlab_${name} `);
      expect(report).not.toMatch(new RegExp(`test_streamlab_${name} \\(test_streamlab_kernel\\.\\w+\\.test_streamlab_${name}\\) \\.\\.\\. skipped`));
    }
  }, 920_000);
});

describe.runIf(tool("nbconvert"))("jupyter nbconvert --execute", () => {
  it("executes a notebook with the streamlab kernel", async () => {
    const out = path.join(jupyter.dir, "nbconvert");
    const result = await run(
      "/usr/bin/python3",
      ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=streamlab",
        "--ExecutePreprocessor.timeout=120", "--output-dir", out, path.join(__dirname, "fixtures", "basic.ipynb")],
      { env: jupyter.env, timeout: 200_000 },
    );
    expect(result.code, result.stderr).toBe(0);
    const nb = JSON.parse(fs.readFileSync(path.join(out, "basic.ipynb"), "utf8"));
    const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === "code");
    expect(code[0].outputs[0]).toMatchObject({ output_type: "stream", name: "stdout" });
    expect([code[0].outputs[0].text].flat().join("")).toBe("hello world\n");
    expect(code[0].outputs[1]).toMatchObject({ output_type: "execute_result", execution_count: 1 });
    expect([code[0].outputs[1].data["text/plain"]].flat().join("")).toBe("3");
    // nbclient applies update_display_data by display_id: the display shows its final state.
    expect([code[2].outputs[0].data["text/plain"]].flat().join("")).toBe("count 5");
  });

  it("fails on a cell error, naming it", async () => {
    const result = await run(
      "/usr/bin/python3",
      ["-m", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=streamlab",
        "--output-dir", path.join(jupyter.dir, "nbconvert-fail"), path.join(__dirname, "fixtures", "fails.ipynb")],
      { env: jupyter.env, timeout: 200_000 },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("the second cell fails");
  });
});
