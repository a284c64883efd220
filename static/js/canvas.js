/*
 * Digits.pad: the drawing. The user draws on the <canvas> with Pointer Events (mouse, finger,
 * pen). Each stroke is kept as points in canvas-relative units (0..1) and the canvas is always
 * redrawn from that list, so Undo is exact and a resize or pixel-ratio change keeps the drawing.
 * `Digits.pad.on.start` / `.end` are called when a stroke starts and ends.
 */
(function () {
  'use strict';

  var D = window.Digits;
  var S = D.settings;
  var canvas = D.el.canvas;
  var ctx = canvas.getContext('2d');

  var strokes = [];          // finished strokes: arrays of {x, y} in 0..1
  var current = null;        // stroke being drawn, or null
  var activePointer = null;  // pointerId that owns the current stroke
  var strokeRect = null;     // canvas rect cached for the duration of a stroke
  var cssWidth = 0;          // canvas size in CSS px
  var cssHeight = 0;
  var dpr = 1;
  var rafPending = false;

  var pad = D.pad = { on: { start: function () {}, end: function () {} } };

  // Match the backing store to the CSS size times devicePixelRatio.
  pad.resize = function () {
    var rect = canvas.getBoundingClientRect();
    var width = Math.max(1, rect.width);
    var height = Math.max(1, rect.height);
    var ratio = window.devicePixelRatio || 1;
    var pxWidth = Math.round(width * ratio);
    var pxHeight = Math.round(height * ratio);
    if (canvas.width !== pxWidth || canvas.height !== pxHeight) {
      canvas.width = pxWidth;
      canvas.height = pxHeight;
    }
    cssWidth = width;
    cssHeight = height;
    dpr = pxWidth / width;
    redraw();
  };

  // Paint the whole canvas from the stroke list.
  function redraw() {
    rafPending = false;
    paint(ctx, cssWidth, cssHeight, dpr);
  }

  // The pen's width in CSS px on a canvas of `width` x `height` CSS px.
  function penWidth(width, height) {
    return D.mode === 'number' ? height * S.NUMBER_STROKE_FRACTION : width * S.STROKE_FRACTION;
  }

  // Paint paper and strokes on a context of `width` x `height` CSS px at `ratio` device px each,
  // the CSS px (`left`, `top`) of the drawing at the context's corner (0, 0 unless given).
  function paint(context, width, height, ratio, left, top) {
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = S.PAPER;
    context.fillRect(0, 0, context.canvas.width, context.canvas.height);
    context.setTransform(ratio, 0, 0, ratio, -(left || 0) * ratio, -(top || 0) * ratio);
    context.strokeStyle = S.INK;
    context.fillStyle = S.INK;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = penWidth(width, height);
    strokes.forEach(function (points) { drawStroke(context, points, width, height); });
    if (current) drawStroke(context, current, width, height);
  }

  // The drawing as a PNG data URL at EXPORT_SIZE pixels to the canvas's height, whatever the
  // screen's pixel ratio: the server needs no more, and a phone uploads a tenth of the bytes.
  // A `number` is sent as only its ink and about half a pen's width of paper around it, at
  // NUMBER_EXPORT_SIZE pixels to the canvas's height (the server decodes few pixels), redrawn
  // larger if that leaves it under NUMBER_MIN_HEIGHT pixels high (a number written small reads as
  // well as one written large), never wider than NUMBER_MAX_WIDTH. `frame` is where the image lies
  // on the canvas, in fractions of its width and height.
  pad.exportDrawing = function (number) {
    var area = number ? inkArea() : { left: 0, top: 0, right: cssWidth, bottom: cssHeight };
    var scale = number
      ? Math.min(Math.max(S.NUMBER_EXPORT_SIZE / Math.max(1, cssHeight),
                          S.NUMBER_MIN_HEIGHT / Math.max(1, area.bottom - area.top)),
                 S.NUMBER_MAX_WIDTH / Math.max(1, area.right - area.left))
      : S.EXPORT_SIZE / Math.max(1, cssHeight);
    var off = document.createElement('canvas');
    off.width = Math.max(1, Math.round((area.right - area.left) * scale));
    off.height = Math.max(1, Math.round((area.bottom - area.top) * scale));
    paint(off.getContext('2d'), cssWidth, cssHeight, scale, area.left, area.top);
    return {
      image: off.toDataURL('image/png'),
      frame: {
        x: area.left / cssWidth, y: area.top / cssHeight,
        width: off.width / scale / cssWidth, height: off.height / scale / cssHeight
      }
    };
  };

  // The strokes' extent in CSS px, a pen's width wider each way, within the canvas.
  function inkArea() {
    var low = { x: Infinity, y: Infinity }, high = { x: -Infinity, y: -Infinity };
    strokes.concat(current ? [current] : []).forEach(function (points) {
      points.forEach(function (p) {
        low.x = Math.min(low.x, p.x); low.y = Math.min(low.y, p.y);
        high.x = Math.max(high.x, p.x); high.y = Math.max(high.y, p.y);
      });
    });
    if (low.x > high.x) return { left: 0, top: 0, right: cssWidth, bottom: cssHeight };
    var margin = penWidth(cssWidth, cssHeight) + 2;
    return {
      left: Math.max(0, Math.floor(low.x * cssWidth - margin)),
      top: Math.max(0, Math.floor(low.y * cssHeight - margin)),
      right: Math.min(cssWidth, Math.ceil(high.x * cssWidth + margin)),
      bottom: Math.min(cssHeight, Math.ceil(high.y * cssHeight + margin))
    };
  }

  // Coalesce redraws while drawing to one per animation frame.
  function requestRedraw() {
    if (!rafPending) {
      rafPending = true;
      window.requestAnimationFrame(redraw);
    }
  }

  // Draw one stroke as quadratic curves through the midpoints of its points.
  function drawStroke(context, points, w, h) {
    if (points.length === 0) return;
    if (points.length === 1) {
      context.beginPath();
      context.arc(points[0].x * w, points[0].y * h, context.lineWidth / 2, 0, Math.PI * 2);
      context.fill();
      return;
    }
    context.beginPath();
    context.moveTo(points[0].x * w, points[0].y * h);
    for (var i = 1; i < points.length - 1; i++) {
      var p = points[i];
      var q = points[i + 1];
      context.quadraticCurveTo(p.x * w, p.y * h, (p.x + q.x) / 2 * w, (p.y + q.y) / 2 * h);
    }
    var last = points[points.length - 1];
    context.lineTo(last.x * w, last.y * h);
    context.stroke();
  }

  pad.isEmpty = function () { return strokes.length === 0; };
  pad.isDrawing = function () { return current !== null; };

  pad.clear = function () {
    strokes = [];
    current = null;
    activePointer = null;
    redraw();
  };

  // Remove the last finished stroke; false while a stroke is being drawn.
  pad.undo = function () {
    if (current) return false;
    strokes.pop();
    redraw();
    return true;
  };

  // ---- Pointer input ---------------------------------------------------------

  // Convert a pointer event to canvas-relative (0..1) coordinates.
  function toPoint(e, rect) {
    return { x: (e.clientX - rect.left) / rect.width, y: (e.clientY - rect.top) / rect.height };
  }

  function onPointerDown(e) {
    e.preventDefault();
    if (current) return;                                  // ignore extra fingers
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    activePointer = e.pointerId;
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* not capturable */ }
    strokeRect = canvas.getBoundingClientRect();
    current = [toPoint(e, strokeRect)];
    pad.on.start();
    requestRedraw();
  }

  function onPointerMove(e) {
    e.preventDefault();
    if (!current || e.pointerId !== activePointer) return;
    var events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    if (!events.length) events = [e];
    for (var i = 0; i < events.length; i++) addPoint(toPoint(events[i], strokeRect));
    requestRedraw();
  }

  // Append a point unless it is (almost) the same as the previous one.
  function addPoint(p) {
    var last = current[current.length - 1];
    var dx = p.x - last.x;
    var dy = p.y - last.y;
    if (dx * dx + dy * dy > 1e-7) current.push(p);
  }

  function onPointerUp(e) {
    e.preventDefault();
    if (!current || e.pointerId !== activePointer) return;
    if (e.type === 'pointerup') addPoint(toPoint(e, strokeRect));
    strokes.push(current);
    current = null;
    activePointer = null;
    try { canvas.releasePointerCapture(e.pointerId); } catch (err) { /* already released */ }
    redraw();
    pad.on.end();
  }

  // Stop the browser from scrolling, zooming or showing menus on the canvas.
  function blockDefault(e) {
    if (e.cancelable) e.preventDefault();
  }

  // Re-render when the page moves to a screen with another devicePixelRatio.
  function watchPixelRatio() {
    if (!window.matchMedia) return;
    var mq = window.matchMedia('(resolution: ' + (window.devicePixelRatio || 1) + 'dppx)');
    var onChange = function () {
      pad.resize();
      watchPixelRatio();
    };
    if (mq.addEventListener) mq.addEventListener('change', onChange, { once: true });
  }

  pad.attach = function () {
    canvas.addEventListener('pointerdown', onPointerDown);
    canvas.addEventListener('pointermove', onPointerMove);
    canvas.addEventListener('pointerup', onPointerUp);
    canvas.addEventListener('pointercancel', onPointerUp);
    canvas.addEventListener('lostpointercapture', function (e) {
      if (current && e.pointerId === activePointer) onPointerUp(e);
    });
    ['touchstart', 'touchmove', 'touchend', 'contextmenu', 'selectstart', 'dragstart']
      .forEach(function (type) {
        canvas.addEventListener(type, blockDefault, { passive: false });
      });
    if (typeof ResizeObserver === 'function') new ResizeObserver(pad.resize).observe(canvas);
    window.addEventListener('resize', pad.resize);
    watchPixelRatio();
  };
}());
