// A canvas made ready to draw on: sized to its box at the screen's pixel ratio, cleared, and
// scaled so that drawing code works in CSS pixels.

/** Prepares `canvas` at `height` CSS pixels (its width from layout, else `fallbackWidth`). */
export function prepareCanvas(canvas, height, fallbackWidth) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || fallbackWidth;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return { context, width };
}
