// The call screen's geometry, as pure functions (no DOM: tests/js/stage.test.js runs them in
// node): how many columns and rows make the grid's tiles largest, and which corner the
// picture-in-picture (one's own picture in a call of two) goes to when dragged or moved by key.

// The corners, in the order "Move my picture" visits them: clockwise on a left-to-right page.
export const CORNERS = ["bottom-end", "bottom-start", "top-start", "top-end"];
export const DEFAULT_CORNER = "bottom-end";

// Columns and rows for `count` tiles on a stage of width × height (CSS pixels), chosen so
// that each tile's picture (of `aspect`, width / height, shown whole) is as large as it can
// be; `gap` is the space between tiles. Ties go to the shape with fewer empty cells.
// E.g. on a landscape screen 3–4 people → 2 × 2, 5–6 → 3 × 2; on an upright phone 5–6 → 2 × 3.
export function gridShape(count, width, height, { aspect = 4 / 3, gap = 8 } = {}) {
  const n = Math.max(1, Math.floor(count) || 1);
  if (!(width > 0) || !(height > 0)) {
    const columns = Math.ceil(Math.sqrt(n));
    return { columns, rows: Math.ceil(n / columns) };
  }
  let best = null;
  for (let columns = 1; columns <= n; columns += 1) {
    const rows = Math.ceil(n / columns);
    // A shape with a whole empty column or row is never better than the one without it.
    if ((columns - 1) * rows >= n || columns * (rows - 1) >= n) continue;
    const tileWidth = (width - (columns - 1) * gap) / columns;
    const tileHeight = (height - (rows - 1) * gap) / rows;
    if (tileWidth <= 0 || tileHeight <= 0) continue;
    const pictureWidth = Math.min(tileWidth, tileHeight * aspect);
    const empty = columns * rows - n;
    const better =
      !best ||
      pictureWidth > best.pictureWidth * 1.001 ||
      (pictureWidth > best.pictureWidth * 0.999 && empty < best.empty);
    if (better) best = { columns, rows, pictureWidth, empty };
  }
  if (!best) return { columns: 1, rows: n };
  return { columns: best.columns, rows: best.rows };
}

// The corner nearest to the point (x, y) of a box width × height (a dragged picture's centre,
// relative to the stage). "start" is the left on a left-to-right page, the right on rtl.
export function nearestCorner(x, y, width, height, { rtl = false } = {}) {
  const block = y < height / 2 ? "top" : "bottom";
  const left = x < width / 2;
  const inline = left !== rtl ? "start" : "end";
  return `${block}-${inline}`;
}

export function nextCorner(corner) {
  const index = CORNERS.indexOf(corner);
  return CORNERS[(index + 1) % CORNERS.length] ?? DEFAULT_CORNER;
}

// An arrow key moves the picture towards that side; other keys: null.
export function cornerForKey(corner, key, { rtl = false } = {}) {
  const [block, inline] = (CORNERS.includes(corner) ? corner : DEFAULT_CORNER).split("-");
  const towards = {
    ArrowUp: ["top", inline],
    ArrowDown: ["bottom", inline],
    ArrowLeft: [block, rtl ? "end" : "start"],
    ArrowRight: [block, rtl ? "start" : "end"],
  }[key];
  return towards ? towards.join("-") : null;
}
