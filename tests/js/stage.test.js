import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CORNERS, cornerForKey, gridShape, nearestCorner, nextCorner } from "../../consulta/static/js/call/stage.js";

const shape = (count, width, height) => {
  const { columns, rows } = gridShape(count, width, height);
  return `${columns}x${rows}`;
};

describe("gridShape", () => {
  test("a landscape stage: 2 side by side, 3–4 in 2 × 2, 5–6 in 3 × 2", () => {
    // 1280 × 800 less the controls bar.
    const rows = [1, 2, 3, 4, 5, 6].map((n) => [n, shape(n, 1280, 700)]);
    assert.deepEqual(rows, [
      [1, "1x1"],
      [2, "2x1"],
      [3, "2x2"],
      [4, "2x2"],
      [5, "3x2"],
      [6, "3x2"],
    ]);
  });

  test("an upright phone: one column while the pictures are larger so (up to 5), then 2 × 3", () => {
    const rows = [1, 2, 3, 4, 5, 6].map((n) => [n, shape(n, 390, 760)]);
    assert.deepEqual(rows, [
      [1, "1x1"],
      [2, "1x2"],
      [3, "1x3"],
      [4, "1x4"],
      [5, "1x5"],
      [6, "2x3"],
    ]);
  });

  test("a phone on its side and a tablet", () => {
    assert.equal(shape(3, 844, 320), "3x1");
    assert.equal(shape(6, 844, 320), "3x2");
    assert.equal(shape(4, 768, 940), "2x2");
    assert.equal(shape(6, 1024, 680), "3x2");
  });

  test("every tile has a cell, and no row or column is left empty", () => {
    for (const [width, height] of [[1280, 700], [390, 760], [844, 320], [768, 940], [300, 300]]) {
      for (let n = 1; n <= 6; n += 1) {
        const { columns, rows } = gridShape(n, width, height);
        assert.ok(columns * rows >= n, `${n} in ${columns}x${rows}`);
        assert.ok((columns - 1) * rows < n && columns * (rows - 1) < n, `${n} in ${columns}x${rows} at ${width}x${height}`);
      }
    }
  });

  test("a stage not measured yet, or a nonsense count, still gets a shape", () => {
    assert.deepEqual(gridShape(4, 0, 0), { columns: 2, rows: 2 });
    assert.deepEqual(gridShape(0, 800, 600), { columns: 1, rows: 1 });
    assert.deepEqual(gridShape(Number.NaN, 800, 600), { columns: 1, rows: 1 });
  });

  test("a wider picture favours more rows", () => {
    assert.deepEqual(gridShape(2, 1000, 800, { aspect: 16 / 9 }), { columns: 1, rows: 2 });
    assert.deepEqual(gridShape(2, 1000, 800, { aspect: 3 / 4 }), { columns: 2, rows: 1 });
  });
});

describe("corners", () => {
  test("the nearest corner to a dropped picture, on either kind of page", () => {
    assert.equal(nearestCorner(10, 10, 800, 600), "top-start");
    assert.equal(nearestCorner(790, 590, 800, 600), "bottom-end");
    assert.equal(nearestCorner(790, 10, 800, 600), "top-end");
    assert.equal(nearestCorner(790, 10, 800, 600, { rtl: true }), "top-start");
    assert.equal(nearestCorner(10, 590, 800, 600, { rtl: true }), "bottom-end");
  });

  test("Move my picture visits the four corners in turn", () => {
    const seen = [CORNERS[0]];
    for (let i = 0; i < 4; i += 1) seen.push(nextCorner(seen.at(-1)));
    assert.deepEqual(seen, ["bottom-end", "bottom-start", "top-start", "top-end", "bottom-end"]);
    assert.equal(nextCorner("nonsense"), "bottom-end");
  });

  test("arrow keys move towards their side; left is the start only left to right", () => {
    assert.equal(cornerForKey("bottom-end", "ArrowUp"), "top-end");
    assert.equal(cornerForKey("top-end", "ArrowDown"), "bottom-end");
    assert.equal(cornerForKey("bottom-end", "ArrowLeft"), "bottom-start");
    assert.equal(cornerForKey("bottom-start", "ArrowRight"), "bottom-end");
    assert.equal(cornerForKey("bottom-end", "ArrowLeft", { rtl: true }), "bottom-end");
    assert.equal(cornerForKey("bottom-end", "ArrowRight", { rtl: true }), "bottom-start");
    assert.equal(cornerForKey("bottom-end", "Enter"), null);
  });
});
