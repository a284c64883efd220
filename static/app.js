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
 *   5. Number mode (the Digit / Number switch, remembered in localStorage): the canvas is
 *      wide, the drawing is exported EXPORT_SIZE pixels high and sent to /api/number, and
 *      #result shows the number large (data-number), each digit's box over the drawing and
 *      each digit's top guesses on hover, focus or tap.
 */
(function () {
  'use strict';

  var API_URL = { digit: '/api/predict', number: '/api/number' };
  var MODE_KEY = 'digit-recognizer.mode';
  var NUMBER_STROKE_FRACTION = 1 / 14;  // pen width relative to the canvas height in number mode
  var TOP_K = 3;
  var DEBOUNCE_MS = 250;
  var UNSURE_BELOW = 0.6;
  var STROKE_FRACTION = 1 / 18;   // pen width relative to the canvas side
  var EXPORT_SIZE = 160;          // side in pixels of the PNG sent to the server
  var INK = '#000000';
  var PAPER = '#ffffff';
  var EMPTY_TEXTS = { digit: 'Draw a digit (0–9) in the box', number: 'Write a number in the box' };
  var LABELS = { digit: 'Drawing area: draw one digit with a mouse, finger or pen',
                 number: 'Drawing area: write a number with a mouse, finger or pen' };

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
    meta: document.getElementById('meta'),
    modeDigit: document.getElementById('mode-digit'),
    modeNumber: document.getElementById('mode-number'),
    boxes: document.getElementById('boxes'),
    numberAnswer: document.getElementById('number-answer'),
    numberLabel: document.getElementById('number-label'),
    numberText: document.getElementById('number-text'),
    numberDigits: document.getElementById('number-digits'),
    digitDetail: document.getElementById('digit-detail'),
    digitDetailTitle: document.getElementById('digit-detail-title'),
    digitBars: document.getElementById('digit-bars'),
    numberMeta: document.getElementById('number-meta')
  };

  // ---- Drawing state ---------------------------------------------------------
  var strokes = [];          // finished strokes: arrays of {x, y} in 0..1
  var current = null;        // stroke being drawn, or null
  var activePointer = null;  // pointerId that owns the current stroke
  var cssWidth = 0;          // canvas size in CSS px
  var cssHeight = 0;
  var mode = 'digit';        // 'digit' or 'number'
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
  }

  // Paint the whole canvas from the stroke list.
  function redraw() {
    rafPending = false;
    paint(ctx, cssWidth, cssHeight, dpr);
  }

  // Paint paper and strokes on a context of `width` x `height` CSS px at `ratio` device px each.
  function paint(context, width, height, ratio) {
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = PAPER;
    context.fillRect(0, 0, context.canvas.width, context.canvas.height);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.strokeStyle = INK;
    context.fillStyle = INK;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = mode === 'number' ? height * NUMBER_STROKE_FRACTION : width * STROKE_FRACTION;
    strokes.forEach(function (points) { drawStroke(context, points, width, height); });
    if (current) drawStroke(context, current, width, height);
  }

  // The drawing as a PNG data URL EXPORT_SIZE pixels high (and as wide as the canvas's shape),
  // whatever the screen's pixel ratio: the server needs no more, and a phone uploads a tenth
  // of the bytes.
  function exportPNG() {
    var off = document.createElement('canvas');
    off.width = Math.max(1, Math.round(EXPORT_SIZE * cssWidth / Math.max(1, cssHeight)));
    off.height = EXPORT_SIZE;
    paint(off.getContext('2d'), off.width, off.height, 1);
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
    showEmpty(EMPTY_TEXTS[mode]);
  }

  function undoStroke() {
    if (current) return;
    strokes.pop();
    redraw();
    cancelScheduled();
    invalidateRequests();
    if (strokes.length === 0) showEmpty(EMPTY_TEXTS[mode]);
    else schedulePredict();
  }

  // Wait a little after a stroke so quick successive strokes cost one request.
  function schedulePredict() {
    cancelScheduled();
    if (strokes.length === 0) { showEmpty(EMPTY_TEXTS[mode]); return; }
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
    if (strokes.length === 0) { invalidateRequests(); showEmpty(EMPTY_TEXTS[mode]); return; }
    var body = JSON.stringify({ image: exportPNG(), top_k: TOP_K });
    send({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body }, true);
  }

  function predictFile(file) {
    cancelScheduled();
    var form = new FormData();
    form.append('file', file, file.name);
    form.append('top_k', String(TOP_K));
    send({ method: 'POST', body: form }, false);
  }

  // ===========================================================================
  // Talking to the server
  // ===========================================================================

  // Send one prediction request; only the latest request may update the page. `drawn` says
  // whether it is the canvas (so number boxes can be shown over it) or an uploaded file.
  function send(init, drawn) {
    invalidateRequests();
    var mine = seq;
    var sentMode = mode;
    controller = typeof AbortController === 'function' ? new AbortController() : null;
    if (controller) init.signal = controller.signal;
    showPending();

    fetch(API_URL[sentMode], init)
      .then(function (response) {
        return readBody(response).then(function (data) {
          return { response: response, data: data };
        });
      })
      .then(function (r) {
        if (mine !== seq) return;
        controller = null;
        if (sentMode === 'number') handleNumberResponse(r.response, r.data, drawn);
        else handleResponse(r.response, r.data);
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

  // Show the empty message or an error for a refused request; true when it was refused.
  function handleRefusal(response, data) {
    var serverMessage = data && typeof data.error === 'string' ? sentence(data.error) : '';
    if (response.status === 422) {
      showEmpty(serverMessage || EMPTY_TEXTS[mode]);
      return true;
    }
    if (!response.ok) {
      showError(serverMessage || fallbackMessage(response));
      return true;
    }
    return false;
  }

  function handleResponse(response, data) {
    if (handleRefusal(response, data)) return;
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
      el.result.removeAttribute('data-number');
      el.result.removeAttribute('data-uncertain');
    }
    el.empty.hidden = state !== 'empty';
    el.error.hidden = state !== 'error';
    el.pending.hidden = !(state === 'pending' && el.answer.hidden && el.numberAnswer.hidden);
    el.answer.classList.toggle('is-stale', state === 'pending');
    el.numberAnswer.classList.toggle('is-stale', state === 'pending');
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
    el.numberAnswer.hidden = true;
    el.numberDigits.textContent = '';
    el.digitBars.textContent = '';
    el.digitDetail.hidden = true;
    el.boxes.textContent = '';
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
    el.numberAnswer.hidden = true;
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
  // Number mode: the answer, the digit boxes and each digit's guesses
  // ===========================================================================

  function handleNumberResponse(response, data, drawn) {
    if (handleRefusal(response, data)) return;
    var digits = data && Array.isArray(data.digits) ? data.digits.filter(validDigit) : [];
    if (!digits.length || typeof data.number !== 'string') {
      showError('The server sent an answer this page does not understand.');
      return;
    }
    showNumber(data, digits, drawn);
  }

  function validDigit(d) {
    return d && isFinite(d.digit) && isFinite(d.confidence) && Array.isArray(d.predictions) &&
      Array.isArray(d.box) && d.box.length === 4;
  }

  function showNumber(data, digits, drawn) {
    var unsure = data.uncertain === true;
    el.answer.hidden = true;
    el.numberLabel.textContent = unsure ? 'Not sure — maybe' : 'It reads';
    el.numberText.textContent = data.number;
    el.numberAnswer.classList.toggle('is-unsure', unsure);
    el.numberDigits.textContent = '';
    el.boxes.textContent = '';
    el.digitDetail.hidden = true;
    digits.forEach(function (d, i) {
      el.numberDigits.appendChild(makeChip(d, i));
      if (drawn && Array.isArray(data.size)) el.boxes.appendChild(makeBox(d, i, data.size));
    });
    el.numberMeta.textContent = describeMeta(data);
    el.numberAnswer.hidden = false;

    setState('done');
    el.result.setAttribute('data-number', data.number);
    el.result.setAttribute('data-uncertain', unsure ? 'true' : 'false');
  }

  // One digit of the answer as a button: hover, focus or tap shows its top guesses.
  function makeChip(d, index) {
    var item = document.createElement('li');
    var chip = document.createElement('button');
    chip.type = 'button';
    chip.className = 'digit-chip';
    chip.setAttribute('data-index', String(index));
    chip.setAttribute('data-digit', String(d.digit));
    chip.classList.toggle('is-rejected', d.not_a_digit === true);
    chip.classList.toggle('is-unsure', d.uncertain === true);
    chip.textContent = d.not_a_digit === true ? '?' : String(d.digit);
    chip.setAttribute('aria-label', 'Digit ' + (index + 1) + ': ' + describeDigit(d));
    var show = function () { showDigit(d, index); };
    chip.addEventListener('mouseenter', show);
    chip.addEventListener('focus', show);
    chip.addEventListener('click', show);
    item.appendChild(chip);
    return item;
  }

  // A digit's box over the drawing, in percent of the exported image's size.
  function makeBox(d, index, size) {
    var box = document.createElement('div');
    box.className = 'digit-box';
    box.setAttribute('data-index', String(index));
    box.style.left = (100 * d.box[0] / size[0]).toFixed(2) + '%';
    box.style.top = (100 * d.box[1] / size[1]).toFixed(2) + '%';
    box.style.width = (100 * d.box[2] / size[0]).toFixed(2) + '%';
    box.style.height = (100 * d.box[3] / size[1]).toFixed(2) + '%';
    var label = document.createElement('span');
    label.className = 'digit-box-label';
    label.textContent = d.not_a_digit === true ? '?' : String(d.digit);
    box.appendChild(label);
    return box;
  }

  function describeDigit(d) {
    if (d.not_a_digit === true) return 'not a digit (closest ' + d.digit + ')';
    return d.digit + ', ' + percent(d.confidence) + ' confident';
  }

  // Show one digit's top guesses and highlight its box and chip.
  function showDigit(d, index) {
    el.digitDetailTitle.textContent = 'Digit ' + (index + 1) + ': ' + describeDigit(d);
    el.digitBars.textContent = '';
    d.predictions.filter(function (p) { return p && isFinite(p.digit) && isFinite(p.confidence); })
      .slice(0, TOP_K).forEach(function (p) { el.digitBars.appendChild(makeBar(p)); });
    el.digitDetail.hidden = false;
    [el.boxes, el.numberDigits].forEach(function (parent) {
      Array.prototype.forEach.call(parent.querySelectorAll('[data-index]'), function (node) {
        node.classList.toggle('is-active', node.getAttribute('data-index') === String(index));
      });
    });
  }

  // ===========================================================================
  // Digit / Number switch
  // ===========================================================================

  function storedMode() {
    try {
      return window.localStorage.getItem(MODE_KEY) === 'number' ? 'number' : 'digit';
    } catch (err) {
      return 'digit';
    }
  }

  // Switch modes: the canvas changes shape, so the drawing and the answer start afresh.
  function setMode(next) {
    mode = next;
    try { window.localStorage.setItem(MODE_KEY, mode); } catch (err) { /* storage unavailable */ }
    document.body.classList.toggle('mode-number', mode === 'number');
    el.modeDigit.setAttribute('aria-pressed', String(mode === 'digit'));
    el.modeNumber.setAttribute('aria-pressed', String(mode === 'number'));
    canvas.setAttribute('aria-label', LABELS[mode]);
    el.predict.setAttribute('aria-label', mode === 'number' ? 'Read the number' : 'Predict the digit');
    resizeCanvas();
    clearDrawing();
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

    el.modeDigit.addEventListener('click', function () { setMode('digit'); });
    el.modeNumber.addEventListener('click', function () { setMode('number'); });
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

    setMode(storedMode());
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
