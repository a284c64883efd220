/*
 * Digit recognizer front end: the namespace the page's scripts share, the page's settings, and
 * the start-up wiring (buttons, keyboard, the Digit / Number switch).
 *
 * Plain scripts, loaded in order with `defer`, each adding one part to `window.Digits`:
 *   app.js          settings, DOM lookups, events, start-up (this file; loaded first)
 *   js/canvas.js    Digits.pad: the drawing, its strokes, pointer input and the PNG export
 *   js/client.js    Digits.client: request channels to the server (only the latest answer counts)
 *   js/answer.js    Digits.answer: the result panel's states and a digit's answer
 *   js/number.js    Digits.number: a whole number's answer, its boxes and each digit's guesses
 *   js/photo.js     Digits.photo: large photos scaled down in the browser before upload
 *   js/predict.js   Digits.predict: when to ask the server, and what to do with its answer
 *   js/explain.js   Digits.explain: the "How it decided" panel
 *
 * Events on `document`, so other panels can hook in without editing these files:
 *   digits:pending  {mode}                  a new answer is on its way (the drawing changed)
 *   digits:answer   {mode, image, answer}   an answer is shown: `image` is the data URL that was
 *                                            sent, `answer` the JSON the server returned
 *   digits:error    {mode, status, message}  the request failed (status 0) or was refused
 *   digits:cleared  {mode}                  the drawing was cleared (Clear, Undo to empty, mode switch)
 */
(function () {
  'use strict';

  var EXPORT_SIZE = 160;          // side in pixels of the PNG sent to the server
  var NUMBER_EXPORT_SIZE = 112;   // a number's PNG: pixels to the canvas's height (as well read, half the pixels) ...
  var NUMBER_MIN_HEIGHT = 72;     // ... or more, to make a number written small this high in pixels ...
  var NUMBER_MAX_WIDTH = 4096;    // ... but never wider than this
  var STROKE_FRACTION = 1 / 18;   // pen width relative to the canvas side

  var D = window.Digits = window.Digits || {};

  D.settings = {
    API_URL: { digit: '/api/predict', number: '/api/number' },
    MODE_KEY: 'digit-recognizer.mode',
    NUMBER_STROKE_FRACTION: 1 / 14,  // pen width relative to the canvas height in number mode
    STROKE_FRACTION: STROKE_FRACTION,
    EXPORT_SIZE: EXPORT_SIZE,
    NUMBER_EXPORT_SIZE: NUMBER_EXPORT_SIZE,
    NUMBER_MIN_HEIGHT: NUMBER_MIN_HEIGHT,
    NUMBER_MAX_WIDTH: NUMBER_MAX_WIDTH,
    TOP_K: 3,
    DEBOUNCE_MS: 250,
    UNSURE_BELOW: 0.6,
    INK: '#000000',
    PAPER: '#ffffff',
    EMPTY_TEXTS: { digit: 'Draw a digit (0–9) in the box', number: 'Write a number in the box' },
    TAGLINES: { digit: 'Draw a digit from 0 to 9 and the model will guess it.',
                number: 'Write a whole number and the model will read it, digit by digit.' },
    LABELS: { digit: 'Drawing area: draw one digit with a mouse, finger or pen',
              number: 'Drawing area: write a number with a mouse, finger or pen' }
  };

  D.mode = 'digit';  // 'digit' or 'number'

  // The page's elements by role; scripts are deferred, so the document is parsed by now.
  function byId(id) { return document.getElementById(id); }
  D.el = {
    canvas: byId('pad'),
    tagline: byId('tagline'),
    clear: byId('clear'),
    undo: byId('undo'),
    predict: byId('predict'),
    upload: byId('upload'),
    result: byId('result'),
    empty: byId('empty-message'),
    error: byId('error'),
    pending: byId('pending-message'),
    answer: byId('answer'),
    topLabel: byId('top-label'),
    topDigit: byId('top-digit'),
    topNote: byId('top-note'),
    bars: byId('bars'),
    processed: byId('processed'),
    processedFigure: byId('processed-figure'),
    meta: byId('meta'),
    modeDigit: byId('mode-digit'),
    modeNumber: byId('mode-number'),
    boxes: byId('boxes'),
    numberAnswer: byId('number-answer'),
    numberLabel: byId('number-label'),
    numberText: byId('number-text'),
    numberDigits: byId('number-digits'),
    digitDetail: byId('digit-detail'),
    digitDetailTitle: byId('digit-detail-title'),
    digitBars: byId('digit-bars'),
    numberMeta: byId('number-meta')
  };

  // Dispatch `digits:<name>` on the document with `detail`.
  D.emit = function (name, detail) {
    document.dispatchEvent(new CustomEvent('digits:' + name, { detail: detail }));
  };

  function storedMode() {
    try {
      return window.localStorage.getItem(D.settings.MODE_KEY) === 'number' ? 'number' : 'digit';
    } catch (err) {
      return 'digit';
    }
  }

  // Switch modes: the canvas changes shape, so the drawing and the answer start afresh.
  function setMode(next) {
    var el = D.el;
    D.mode = next;
    try { window.localStorage.setItem(D.settings.MODE_KEY, next); } catch (err) { /* storage unavailable */ }
    document.body.classList.toggle('mode-number', next === 'number');
    el.modeDigit.setAttribute('aria-pressed', String(next === 'digit'));
    el.modeNumber.setAttribute('aria-pressed', String(next === 'number'));
    el.canvas.setAttribute('aria-label', D.settings.LABELS[next]);
    el.tagline.textContent = D.settings.TAGLINES[next];
    el.predict.setAttribute('aria-label', next === 'number' ? 'Read the number' : 'Predict the digit');
    D.pad.resize();
    D.predict.clearDrawing();
  }
  D.setMode = setMode;

  function onKeyDown(e) {
    if (e.defaultPrevented || e.altKey) return;
    var tag = e.target && e.target.tagName;
    var onControl = tag === 'BUTTON' || tag === 'INPUT' || tag === 'TEXTAREA' ||
      tag === 'SELECT' || tag === 'A' || tag === 'LABEL' || tag === 'SUMMARY';
    var mod = e.ctrlKey || e.metaKey;

    if (mod && !e.shiftKey && (e.key === 'z' || e.key === 'Z')) {
      e.preventDefault();
      D.predict.undoStroke();
    } else if (!mod && (e.key === 'Escape' || e.key === 'Delete')) {
      e.preventDefault();
      D.predict.clearDrawing();
    } else if (!mod && e.key === 'Enter' && !onControl) {
      // On a focused button Enter already clicks it; don't act twice.
      e.preventDefault();
      D.predict.predictDrawing();
    }
  }

  // Wire the controls once every script has added its part (deferred scripts run before this).
  function init() {
    var el = D.el;
    D.pad.attach();
    el.modeDigit.addEventListener('click', function () { setMode('digit'); });
    el.modeNumber.addEventListener('click', function () { setMode('number'); });
    el.clear.addEventListener('click', D.predict.clearDrawing);
    el.undo.addEventListener('click', D.predict.undoStroke);
    el.predict.addEventListener('click', D.predict.predictDrawing);
    el.upload.addEventListener('change', function () {
      var file = el.upload.files && el.upload.files[0];
      if (file) D.predict.predictFile(file);
      el.upload.value = '';          // allow choosing the same file again
    });
    document.addEventListener('keydown', onKeyDown);
    setMode(storedMode());
  }

  document.addEventListener('DOMContentLoaded', init);
}());
