/* One paper read in the browser (templates/meetings/document.html): the PDF, or the PDF copy of an office file,
 * in the viewer (doc_viewer.js), from page 1 or the page named in the address (#page=3). */
import { createViewer } from "./doc_viewer.js";

const data = JSON.parse(document.getElementById("document-data").textContent);
const host = document.getElementById("document-viewer");
const viewer = createViewer(host, {
  workerUrl: data.worker_url,
  fontsUrl: data.fonts_url,
  onNavigate(page) {
    history.replaceState(null, "", "#page=" + page);
    viewer.show(page);
  },
});
const asked = /#page=(\d+)/.exec(window.location.hash);
viewer.open(data.url, asked ? Number(asked[1]) : 1);
