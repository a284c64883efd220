/*
 * Digit recognizer front end.
 *
 * Flow:
 *   1. The user draws on the <canvas> with Pointer Events (mouse, finger, pen).
 *      Each stroke is kept as an array of points in canvas-relative units
 *      (0..1), and the canvas is always redrawn from that list, so Undo is exact
 *      and a resize or DPR change keeps the drawing.
 *   2. When a stroke ends, a prediction is scheduled (debounced). The canvas
 *      is exported as a 160x160 PNG (white background, black ink) and POSTed as JSON to
 *      /api/predict. An uploaded file is POSTed as multipart/form-data instead.
 *   3. Every request gets an increasing sequence number and the previous one is
 *      aborted, so a stale answer can never overwrite a newer one.
 *   4. The answer is rendered into #result: top digit, top-3 confidence bars
 *      and the 28x28 image the model actually saw. #result's data-state is one
 *      of "empty", "pending", "done", "error"; data-digit / data-confidence are
 *      present only while a prediction is shown, with data-not-a-digit ("true" when
 *      the server says the drawing is no digit: the page says so instead of guessing).
 */
(function () {
  'use strict';

  var API_URL = '/api/predict';
  var TOP_K = 3;
  var DEBOUNCE_MS = 250;
  var UNSURE_BELOW = 0.6;
  var STROKE_FRACTION = 1 / 18;   // pen width relative to the canvas side
  var EXPORT_SIZE = 160;          // side in pixels of the PNG sent to the server
  var INK = '#000000';
  var PAPER = '#ffffff';
  var EMPTY_TEXT = 'Draw a digit (0–9) in the box';

  // ---- DOM -----------------------------------------------------------------
  var canvas = document.querySelector('canvas');
  var ctx = canvas.getContext('2d');
  var el = {
    clear: document.getElementById('clear'),
    undo: document.getElementById('undo'),
    predict: document.getElementById('predict'),
    upload: document.getElementById('upload'),
    result: document.getElementById('result'),
    empty: document.getElementById('empty-message'),
    error: document.getElementById('error'),
    pending: document.getElementById('pending-message'),
    answer: document.getElementById('answer'),
    topLabel: document.getElementById('top-label'),
    topDigit: document.getElementById('top-digit'),
    topNote: document.getElementById('top-note'),
    bars: document.getElementById('bars'),
    processed: document.getElementById('processed'),
    processedFigure: document.getElementById('processed-figure'),
    meta: document.getElementById('meta')
  };

  // ---- Drawing state ---------------------------------------------------------
  var strokes = [];          // finished strokes: arrays of {x, y} in 0..1
  var current = null;        // stroke being drawn, or null
  var activePointer = null;  // pointerId that owns the current stroke
  var cssSize = 0;           // canvas side in CSS px
  var dpr = 1;
  var rafPending = false;

  // ---- Request state ---------------------------------------------------------
  var seq = 0;               // id of the latest request; older answers are ignored
  var controller = null;     // AbortController of the in-flight request
  var debounceTimer = null;

  // ===========================================================================
  // Canvas sizing and rendering
  // ===========================================================================

  // Match the backing store to the CSS size times devicePixelRatio.
  function resizeCanvas() {
    var rect = canvas.getBoundingClientRect();
    var size = Math.max(1, rect.width);
    var ratio = window.devicePixelRatio || 1;
    var px = Math.round(size * ratio);
    if (canvas.width !== px || canvas.height !== px) {
      canvas.width = px;
      canvas.height = px;
    }
    cssSize = size;
    dpr = px / size;
    redraw();
  }

  // Paint the whole canvas from the stroke list.
  function redraw() {
    rafPending = false;
    paint(ctx, cssSize, dpr);
  }

  // Paint paper and strokes on a context whose side is `side` CSS px at `ratio` device px each.
  function paint(context, side, ratio) {
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = PAPER;
    context.fillRect(0, 0, context.canvas.width, context.canvas.height);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.strokeStyle = INK;
    context.fillStyle = INK;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = side * STROKE_FRACTION;
    strokes.forEach(function (points) { drawStroke(context, points, side); });
    if (current) drawStroke(context, current, side);
  }

  // The drawing as a PNG data URL of EXPORT_SIZE pixels a side, whatever the screen's
  // pixel ratio: the server needs no more, and a phone uploads a tenth of the bytes.
  function exportPNG() {
    var off = document.createElement('canvas');
    off.width = EXPORT_SIZE;
    off.height = EXPORT_SIZE;
    paint(off.getContext('2d'), EXPORT_SIZE, 1);
    return off.toDataURL('image/png');
  }

  // Coalesce redraws while drawing to one per animation frame.
  function requestRedraw() {
    if (!rafPending) {
      rafPending = true;
      window.requestAnimationFrame(redraw);
    }
  }

  // Draw one stroke as quadratic curves through the midpoints of its points.
  function drawStroke(context, points, side) {
    var s = side;
    if (points.length === 0) return;
    if (points.length === 1) {
      context.beginPath();
      context.arc(points[0].x * s, points[0].y * s, context.lineWidth / 2, 0, Math.PI * 2);
      context.fill();
      return;
    }
    context.beginPath();
    context.moveTo(points[0].x * s, points[0].y * s);
    for (var i = 1; i < points.length - 1; i++) {
      var p = points[i];
      var q = points[i + 1];
      context.quadraticCurveTo(p.x * s, p.y * s, (p.x + q.x) / 2 * s, (p.y + q.y) / 2 * s);
    }
    var last = points[points.length - 1];
    context.lineTo(last.x * s, last.y * s);
    context.stroke();
  }

  // ===========================================================================
  // Pointer input
  // ===========================================================================

  // Convert a pointer event to canvas-relative (0..1) coordinates.
  function toPoint(e, rect) {
    return {
      x: (e.clientX - rect.left) / rect.width,
      y: (e.clientY - rect.top) / rect.height
    };
  }

  var strokeRect = null;  // canvas rect cached for the duration of a stroke

  function onPointerDown(e) {
    e.preventDefault();
    if (current) return;                                  // ignore extra fingers
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    activePointer = e.pointerId;
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* not capturable */ }
    strokeRect = canvas.getBoundingClientRect();
    current = [toPoint(e, strokeRect)];
    cancelScheduled();
    invalidateRequests();                                 // the drawing is changing
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
    schedulePredict();
  }

  // Stop the browser from scrolling, zooming or showing menus on the canvas.
  function blockDefault(e) {
    if (e.cancelable) e.preventDefault();
  }

  // ===========================================================================
  // Actions
  // ===========================================================================

  function clearDrawing() {
    strokes = [];
    current = null;
    activePointer = null;
    redraw();
    cancelScheduled();
    invalidateRequests();
    showEmpty(EMPTY_TEXT);
  }

  function undoStroke() {
    if (current) return;
    strokes.pop();
    redraw();
    cancelScheduled();
    invalidateRequests();
    if (strokes.length === 0) showEmpty(EMPTY_TEXT);
    else schedulePredict();
  }

  // Wait a little after a stroke so quick successive strokes cost one request.
  function schedulePredict() {
    cancelScheduled();
    if (strokes.length === 0) { showEmpty(EMPTY_TEXT); return; }
    showPending();
    debounceTimer = window.setTimeout(predictDrawing, DEBOUNCE_MS);
  }

  function cancelScheduled() {
    if (debounceTimer !== null) {
      window.clearTimeout(debounceTimer);
      debounceTimer = null;
    }
  }

  // Abort the in-flight request and make any answer still on its way stale.
  function invalidateRequests() {
    seq += 1;
    if (controller) controller.abort();
    controller = null;
  }

  function predictDrawing() {
    cancelScheduled();
    if (current) return;                   // predict when the stroke ends
    if (strokes.length === 0) { invalidateRequests(); showEmpty(EMPTY_TEXT); return; }
    var body = JSON.stringify({ image: exportPNG(), top_k: TOP_K });
    send({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body });
  }

  function predictFile(file) {
    cancelScheduled();
    var form = new FormData();
    form.append('file', file, file.name);
    form.append('top_k', String(TOP_K));
    send({ method: 'POST', body: form });
  }

  // ===========================================================================
  // Talking to the server
  // ===========================================================================

  // Send one prediction request; only the latest request may update the page.
  function send(init) {
    invalidateRequests();
    var mine = seq;
    controller = typeof AbortController === 'function' ? new AbortController() : null;
    if (controller) init.signal = controller.signal;
    showPending();

    fetch(API_URL, init)
      .then(function (response) {
        return readBody(response).then(function (data) {
          return { response: response, data: data };
        });
      })
      .then(function (r) {
        if (mine !== seq) return;
        controller = null;
        handleResponse(r.response, r.data);
      })
      .catch(function (err) {
        if (mine !== seq || (err && err.name === 'AbortError')) return;
        controller = null;
        showError('Could not reach the server: ' + describe(err));
      });
  }

  // Read a response body as JSON when possible; otherwise return null.
  function readBody(response) {
    return response.text().then(function (text) {
      try { return JSON.parse(text); } catch (e) { return null; }
    });
  }

  function handleResponse(response, data) {
    var serverMessage = data && typeof data.error === 'string' ? sentence(data.error) : '';
    if (response.status === 422) {
      showEmpty(serverMessage || EMPTY_TEXT);
      return;
    }
    if (!response.ok) {
      showError(serverMessage || fallbackMessage(response));
      return;
    }
    var predictions = data && Array.isArray(data.predictions) ? data.predictions : [];
    predictions = predictions.filter(function (p) {
      return p && isFinite(p.digit) && isFinite(p.confidence);
    });
    if (!predictions.length) {
      showError('The server sent an answer this page does not understand.');
      return;
    }
    showPrediction(predictions, data);
  }

  // Human-readable message for an error response without a JSON body.
  function fallbackMessage(response) {
    var s = response.status;
    if (s === 413) return 'That image is too large for the server.';
    if (s === 400) return 'The server could not read that image.';
    if (s === 415) return 'That file type is not supported.';
    if (s === 429) return 'Too many requests; please wait a moment and try again.';
    if (s >= 500) return 'The server had a problem (HTTP ' + s + '). Please try again.';
    return 'The request failed (HTTP ' + s + ').';
  }

  // Capitalise the first letter and end with a full stop, for display.
  function sentence(text) {
    var t = text.trim();
    if (!t) return '';
    t = t.charAt(0).toUpperCase() + t.slice(1);
    return /[.!?…]$/.test(t) ? t : t + '.';
  }

  function describe(err) {
    return (err && err.message) ? err.message : String(err || 'unknown error');
  }

  // ===========================================================================
  // Rendering the result panel
  // ===========================================================================

  // Switch the panel to one state and drop any prediction attributes.
  function setState(state) {
    el.result.setAttribute('data-state', state);
    if (state !== 'done') {
      el.result.removeAttribute('data-digit');
      el.result.removeAttribute('data-confidence');
      el.result.removeAttribute('data-not-a-digit');
    }
    el.empty.hidden = state !== 'empty';
    el.error.hidden = state !== 'error';
    el.pending.hidden = !(state === 'pending' && el.answer.hidden);
    el.answer.classList.toggle('is-stale', state === 'pending');
  }

  function showEmpty(message) {
    el.empty.textContent = message;
    clearAnswer();
    setState('empty');
  }

  // Keep the previous answer visible (dimmed) while a new one is on its way.
  function showPending() {
    setState('pending');
  }

  function showError(message) {
    el.error.textContent = message;
    clearAnswer();
    setState('error');
  }

  function clearAnswer() {
    el.answer.hidden = true;
    el.bars.textContent = '';
    el.processed.removeAttribute('src');
    el.meta.textContent = '';
  }

  function showPrediction(predictions, data) {
    var best = predictions[0];
    var rejected = data.not_a_digit === true;
    var sure = typeof data.uncertain === 'boolean' ? !data.uncertain : best.confidence >= UNSURE_BELOW;

    if (rejected) {
      el.topLabel.textContent = "That doesn't look like a digit";
      el.topDigit.textContent = '';
      el.topNote.textContent = 'Closest digit: ' + best.digit + ' (' + percent(best.confidence) + ')';
    } else {
      el.topLabel.textContent = sure ? "It's a" : 'Not sure — maybe';
      el.topDigit.textContent = String(best.digit);
      el.topNote.textContent = percent(best.confidence) + ' confident';
    }
    el.answer.classList.toggle('is-unsure', !sure || rejected);
    el.answer.classList.toggle('is-rejected', rejected);

    el.bars.textContent = '';
    predictions.slice(0, TOP_K).forEach(function (p) {
      el.bars.appendChild(makeBar(p));
    });

    if (typeof data.processed === 'string' && data.processed.indexOf('data:image/') === 0) {
      el.processed.src = data.processed;
      el.processedFigure.hidden = false;
    } else {
      el.processed.removeAttribute('src');
      el.processedFigure.hidden = true;
    }

    el.meta.textContent = describeMeta(data);
    el.answer.hidden = false;

    setState('done');
    el.result.setAttribute('data-digit', String(best.digit));
    el.result.setAttribute('data-confidence', Number(best.confidence).toFixed(4));
    el.result.setAttribute('data-not-a-digit', rejected ? 'true' : 'false');
  }

  // One row of the top-k list: "7 — 98.2%" and a bar as wide as the confidence.
  function makeBar(p) {
    var conf = clamp01(Number(p.confidence));
    var item = document.createElement('li');
    item.className = 'bar';
    item.setAttribute('data-digit', String(p.digit));
    item.setAttribute('data-confidence', conf.toFixed(4));

    var label = document.createElement('span');
    label.className = 'bar-label';
    label.textContent = p.digit + ' — ' + percent(conf);

    var track = document.createElement('span');
    track.className = 'bar-track';
    var fill = document.createElement('span');
    fill.className = 'bar-fill';
    fill.style.width = (conf * 100).toFixed(1) + '%';
    track.appendChild(fill);

    item.appendChild(label);
    item.appendChild(track);
    return item;
  }

  // Small print under the answer: model name and server time, when provided.
  function describeMeta(data) {
    var parts = [];
    if (typeof data.model === 'string' && data.model) parts.push('Model: ' + data.model);
    var t = data.timing_ms;
    var total = null;
    if (typeof t === 'number') total = t;
    else if (t && typeof t.total === 'number') total = t.total;
    if (total !== null) parts.push(total.toFixed(1) + ' ms');
    return parts.join(' · ');
  }

  function percent(x) {
    return (clamp01(Number(x)) * 100).toFixed(1) + '%';
  }

  function clamp01(x) {
    return isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
  }

  // ===========================================================================
  // Keyboard and wiring
  // ===========================================================================

  function onKeyDown(e) {
    if (e.defaultPrevented || e.altKey) return;
    var tag = e.target && e.target.tagName;
    var onControl = tag === 'BUTTON' || tag === 'INPUT' || tag === 'TEXTAREA' ||
      tag === 'SELECT' || tag === 'A' || tag === 'LABEL';
    var mod = e.ctrlKey || e.metaKey;

    if (mod && !e.shiftKey && (e.key === 'z' || e.key === 'Z')) {
      e.preventDefault();
      undoStroke();
    } else if (!mod && (e.key === 'Escape' || e.key === 'Delete')) {
      e.preventDefault();
      clearDrawing();
    } else if (!mod && e.key === 'Enter' && !onControl) {
      // On a focused button Enter already clicks it; don't act twice.
      e.preventDefault();
      predictDrawing();
    }
  }

  function init() {
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

    el.clear.addEventListener('click', clearDrawing);
    el.undo.addEventListener('click', undoStroke);
    el.predict.addEventListener('click', predictDrawing);
    el.upload.addEventListener('change', function () {
      var file = el.upload.files && el.upload.files[0];
      if (file) predictFile(file);
      el.upload.value = '';          // allow choosing the same file again
    });
    document.addEventListener('keydown', onKeyDown);

    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(resizeCanvas).observe(canvas);
    }
    window.addEventListener('resize', resizeCanvas);
    watchPixelRatio();

    resizeCanvas();
    showEmpty(EMPTY_TEXT);
  }

  // Re-render when the page moves to a screen with another devicePixelRatio.
  function watchPixelRatio() {
    if (!window.matchMedia) return;
    var mq = window.matchMedia('(resolution: ' + (window.devicePixelRatio || 1) + 'dppx)');
    var onChange = function () {
      resizeCanvas();
      watchPixelRatio();
    };
    if (mq.addEventListener) mq.addEventListener('change', onChange, { once: true });
  }

  init();
}());
