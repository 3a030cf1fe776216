/* A small PDF viewer over the vendored pdf.js (static/vendor/pdfjs, loaded only when a PDF is shown): one page at
 * a time on a canvas fitted to the width of its box (a phone's too), page n of N, previous / next, zoom.
 *
 *   const viewer = createViewer(host, {workerUrl, fontsUrl, onNavigate(page), fitHeight()})
 *   await viewer.open(url, page)   load a document and show a page
 *   viewer.show(page)              show another page (clamped to 1..pages)
 *   viewer.page, viewer.pages
 *
 * With onNavigate, the buttons and keys call it with the page asked for instead of turning the page (the room
 * decides: a presenter sends it to everyone, a follower steps away). The host carries data-page and data-pages
 * once a page is drawn, for the tests. */
const App = window.App;
let pdfjsPromise = null;

function loadPdfjs(workerUrl) {
  if (!pdfjsPromise) {
    pdfjsPromise = import("../../vendor/pdfjs/pdf.min.mjs").then((lib) => {
      lib.GlobalWorkerOptions.workerSrc = workerUrl;
      return lib;
    });
  }
  return pdfjsPromise;
}

function button(icon, label) {
  const b = App.el("button", "btn btn-outline-secondary btn-sm");
  b.type = "button";
  b.title = label;
  b.setAttribute("aria-label", label);
  const i = App.el("i", "bi bi-" + icon);
  i.setAttribute("aria-hidden", "true");
  b.append(i);
  return b;
}

export function createViewer(host, options) {
  const opts = options || {};
  host.classList.add("doc-viewer");
  host.replaceChildren();
  const bar = App.el("div", "doc-toolbar d-flex align-items-center gap-1 flex-wrap");
  const prev = button("chevron-left", App.t("doc_prev") || "‹");
  const next = button("chevron-right", App.t("doc_next") || "›");
  const label = App.el("span", "doc-page-label small text-nowrap px-1");
  label.setAttribute("aria-live", "polite");
  label.dataset.testid = "doc-page-label";
  const zoomOut = button("zoom-out", App.t("doc_zoom_out") || "-");
  const zoomIn = button("zoom-in", App.t("doc_zoom_in") || "+");
  const fit = button("arrows-angle-expand", App.t("doc_fit_width") || "fit");
  const extra = App.el("div", "doc-toolbar-extra ms-auto d-flex gap-1 align-items-center flex-wrap");
  bar.append(prev, label, next, App.el("span", "vr mx-1"), zoomOut, fit, zoomIn, extra);
  const stage = App.el("div", "doc-stage");
  const canvas = document.createElement("canvas");
  canvas.className = "doc-canvas";
  const message = App.el("div", "doc-message small text-body-secondary text-center py-4 d-none");
  stage.append(canvas, message);
  host.append(bar, stage);

  let pdf = null;
  let loading = null; // pdf.js's loading task: destroying it frees the document and its worker side
  let task = null;
  let zoom = 1;
  let drawing = Promise.resolve();
  const viewer = { page: 0, pages: 0, url: null, toolbar: extra, host: host };

  function setMessage(text) {
    message.textContent = text || "";
    message.classList.toggle("d-none", !text);
    canvas.classList.toggle("d-none", !!text);
  }

  function updateBar() {
    label.textContent = viewer.pages ? App.fmt("doc_page_of", { page: viewer.page, pages: viewer.pages }) : "";
    prev.disabled = !pdf || viewer.page <= 1;
    next.disabled = !pdf || viewer.page >= viewer.pages;
  }

  async function draw(n) {
    if (!pdf) return; // closed meanwhile
    const page = await pdf.getPage(n);
    const base = page.getViewport({ scale: 1 });
    const width = Math.max(stage.clientWidth - 2, 200);
    // fit the width; with fitHeight (the room) the whole page fits that height too, so the room sees all of it
    const tall = opts.fitHeight ? opts.fitHeight() / base.height : Infinity;
    const viewport = page.getViewport({ scale: Math.min(width / base.width, tall) * zoom });
    const ratio = window.devicePixelRatio || 1;
    if (task) task.cancel();
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = Math.floor(viewport.width) + "px";
    canvas.style.height = Math.floor(viewport.height) + "px";
    task = page.render({
      canvas: canvas, canvasContext: canvas.getContext("2d"), viewport: viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
    });
    try {
      await task.promise;
    } catch (err) {
      if (err && err.name === "RenderingCancelledException") return;
      throw err;
    }
    if (n === viewer.page) {
      host.dataset.page = String(n);
      host.dataset.pages = String(viewer.pages);
    }
  }

  viewer.show = function (n) {
    if (!pdf) return drawing;
    viewer.page = Math.min(Math.max(1, Number(n) || 1), viewer.pages);
    updateBar();
    const want = viewer.page;
    drawing = drawing.then(() => (want === viewer.page ? draw(want) : null)).catch((e) => console.error(e));
    return drawing;
  };

  let opening = null; // the load under way, and the page to show when it is done
  let wanted = 1;
  viewer.open = function (url, page) {
    if (viewer.url === url && pdf) return viewer.show(page || viewer.page || 1);
    if (viewer.url === url && opening) { wanted = page || wanted; return opening; }
    viewer.url = url;
    wanted = page || 1;
    delete host.dataset.page;
    setMessage(App.t("doc_loading"));
    opening = load(url).finally(() => { if (viewer.url === url) opening = null; });
    return opening;
  };

  async function load(url) {
    let mine = null;
    try {
      const lib = await loadPdfjs(opts.workerUrl);
      if (viewer.url !== url) return;
      release();
      mine = loading = lib.getDocument({ url: url, isEvalSupported: false, standardFontDataUrl: opts.fontsUrl,
        withCredentials: true });
      pdf = await mine.promise;
    } catch (err) {
      if (mine !== loading || viewer.url !== url) return; // replaced by another document: not a failure
      console.error(err);
      pdf = null;
      viewer.pages = 0;
      updateBar();
      setMessage(App.t("doc_failed"));
      return;
    }
    if (viewer.url !== url) return;
    viewer.pages = pdf.numPages;
    setMessage("");
    return viewer.show(wanted);
  }

  function release() {
    if (loading) loading.destroy().catch(() => { /* already gone */ });
    loading = null;
    pdf = null;
  }

  viewer.close = function () {
    release();
    opening = null;
    viewer.url = null;
    viewer.page = viewer.pages = 0;
    delete host.dataset.page;
    updateBar();
  };

  function go(n) {
    if (!pdf || n < 1 || n > viewer.pages) return;
    if (opts.onNavigate) opts.onNavigate(n);
    else viewer.show(n);
  }
  prev.addEventListener("click", () => go(viewer.page - 1));
  next.addEventListener("click", () => go(viewer.page + 1));
  zoomIn.addEventListener("click", () => { zoom = Math.min(zoom * 1.25, 4); viewer.show(viewer.page); });
  zoomOut.addEventListener("click", () => { zoom = Math.max(zoom / 1.25, 0.5); viewer.show(viewer.page); });
  fit.addEventListener("click", () => { zoom = 1; viewer.show(viewer.page); });
  host.tabIndex = 0;
  host.addEventListener("keydown", (e) => {
    if (e.target.closest("select, input, textarea")) return;
    if (e.key === "ArrowRight" || e.key === "PageDown") { e.preventDefault(); go(viewer.page + 1); }
    if (e.key === "ArrowLeft" || e.key === "PageUp") { e.preventDefault(); go(viewer.page - 1); }
  });
  // a phone turned, a window resized: fit the width again
  let lastWidth = stage.clientWidth;
  window.addEventListener("resize", App.debounce(() => {
    if (stage.clientWidth !== lastWidth) { lastWidth = stage.clientWidth; viewer.show(viewer.page); }
  }, 200));
  updateBar();
  return viewer;
}
