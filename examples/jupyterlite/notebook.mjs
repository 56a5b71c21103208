// Driving a JupyterLite notebook in headless Chromium, for the example's test and
// bench/jupyterlite.mjs: the site exposes its app to the page (`exposeAppInBrowser`,
// scripts/jupyterlite-site.sh), so these use the app's own commands and kernel
// rather than clicks.

// Opens a notebook page (`.../notebooks/index.html?path=NAME.ipynb`) and resolves to
// the page once the notebook is open and its kernel session made (the kernel itself
// may still be starting: its first request waits for it).
export async function openNotebook(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  try {
    await page.waitForFunction(() => window.jupyterapp?.shell?.currentWidget?.sessionContext, null, { timeout: 120_000 });
  } catch (e) {
    throw new Error(`the notebook did not open: ${e.message}\n${errors.join("\n")}`);
  }
  await page.evaluate(async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
  });
  return page;
}

// Runs `code` in the open notebook's kernel, outside its cells; resolves to what it
// printed, or rejects with the error it raised.
export async function runInKernel(page, code) {
  const { out, error } = await page.evaluate(async (code) => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const out = [];
    const future = kernel.requestExecute({ code });
    future.onIOPub = ({ header, content }) => header.msg_type === "stream" && out.push(content.text);
    const reply = await future.done;
    const { status, ename, evalue } = reply.content;
    return { out: out.join(""), error: status === "ok" ? null : `${ename}: ${evalue}` };
  }, code);
  if (error) throw new Error(`${error}\nin the kernel, running:\n${code}`);
  return out;
}
