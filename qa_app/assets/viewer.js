// Runs once when the article viewer (a gr.HTML) loads; `element`, `props` and `server`
// come from Gradio. Any link to "#qa-open?article=ID&start=S&end=E" on the page (source
// cards, citation markers, the article list) opens that article here instead of
// navigating, scrolled to the highlighted span.
window.qaViewer = { element, props, server };

if (!window.qaViewerListening) {
  window.qaViewerListening = true;

  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

  const scrollToHighlight = (viewer) => {
    const body = viewer.element.querySelector(".qa-viewer-body");
    const mark = viewer.element.querySelector("mark");
    if (body) {
      // Start at the highlighted paragraph, or the one before it if both fit, for context.
      let anchor = mark ? mark.closest(".qa-para") : null;
      const before = anchor ? anchor.previousElementSibling : null;
      if (before && mark.getBoundingClientRect().bottom - before.getBoundingClientRect().top < body.clientHeight) {
        anchor = before;
      }
      const offset = anchor ? anchor.getBoundingClientRect().top - body.getBoundingClientRect().top - 8 : -body.scrollTop;
      body.scrollTop = Math.max(0, body.scrollTop + offset);
    }
    viewer.element.scrollIntoView({ block: "nearest" });
    viewer.element.querySelector(".qa-viewer")?.focus({ preventScroll: true });
  };

  document.addEventListener(
    "click",
    async (event) => {
      const link = event.target instanceof Element ? event.target.closest('a[href^="#qa-open?"]') : null;
      if (!link) return;
      event.preventDefault();
      event.stopPropagation();
      const query = new URLSearchParams(link.getAttribute("href").slice("#qa-open?".length));
      const number = (name) => (query.has(name) ? Number(query.get(name)) : null);
      const viewer = window.qaViewer;
      viewer.props.value = await viewer.server.open_source(query.get("article"), number("start"), number("end"));
      await nextFrame();
      await nextFrame();
      scrollToHighlight(viewer);
    },
    true,
  );
}
