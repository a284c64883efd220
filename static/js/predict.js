/*
 * Digits.predict: when to ask the server, and what to do with its answer. A prediction is
 * scheduled (debounced) when a stroke ends; the drawing is exported as a PNG and POSTed as JSON
 * to /api/predict (or /api/number in number mode); an uploaded file is POSTed as multipart.
 * Each answer shown is announced with `digits:answer`, each clear with `digits:cleared`.
 */
(function () {
  'use strict';

  var D = window.Digits;
  var S = D.settings;
  var channel = D.client.channel();
  var debounceTimer = null;

  function clearDrawing() {
    D.pad.clear();
    cancelScheduled();
    channel.invalidate();
    D.answer.showEmpty();
    D.emit('cleared', { mode: D.mode });
  }

  function undoStroke() {
    if (!D.pad.undo()) return;
    cancelScheduled();
    channel.invalidate();
    if (D.pad.isEmpty()) {
      D.answer.showEmpty();
      D.emit('cleared', { mode: D.mode });
    } else {
      schedulePredict();
    }
  }

  // Wait a little after a stroke so quick successive strokes cost one request.
  function schedulePredict() {
    cancelScheduled();
    if (D.pad.isEmpty()) { D.answer.showEmpty(); return; }
    pending();
    debounceTimer = window.setTimeout(predictDrawing, S.DEBOUNCE_MS);
  }

  function cancelScheduled() {
    if (debounceTimer !== null) {
      window.clearTimeout(debounceTimer);
      debounceTimer = null;
    }
  }

  function pending() {
    D.answer.showPending();
    D.emit('pending', { mode: D.mode });
  }

  function predictDrawing() {
    cancelScheduled();
    if (D.pad.isDrawing()) return;           // predict when the stroke ends
    if (D.pad.isEmpty()) { channel.invalidate(); D.answer.showEmpty(); return; }
    var drawing = D.pad.exportDrawing(D.mode === 'number');
    send(D.client.jsonInit({ image: drawing.image, top_k: S.TOP_K }), drawing.frame, drawing.image);
  }

  // Scale a large photo down, then send it; a newer drawing or upload meanwhile wins.
  function predictFile(file) {
    cancelScheduled();
    channel.invalidate();
    var mine = channel.current();
    pending();
    D.photo.prepare(file)
      .then(function (upload) {
        return D.photo.dataURL(upload.blob).then(function (image) {
          if (channel.current() !== mine) return;
          var form = new FormData();
          form.append('file', upload.blob, upload.name);
          form.append('top_k', String(S.TOP_K));
          send({ method: 'POST', body: form }, null, image);
        });
      })
      .catch(function (err) {
        if (channel.current() === mine) failed('Could not read that file: ' + D.client.describe(err));
      });
  }

  // Send one request; only the latest may update the page. `frame` is where a drawing's image
  // lies on the canvas (so number boxes can be shown over it), null for a file; `image` is the
  // data URL of what is sent.
  function send(init, frame, image) {
    var sentMode = D.mode;
    pending();
    channel.send(S.API_URL[sentMode], init, function (response, data) {
      var shown = sentMode === 'number' ? D.number.handleResponse(response, data, frame)
        : D.answer.handleResponse(response, data);
      if (shown) D.emit('answer', { mode: sentMode, image: image, answer: data });
      else D.emit('error', { mode: sentMode, status: response.status, message: shownMessage() });
    }, function (err) {
      failed('Could not reach the server: ' + D.client.describe(err));
    });
  }

  // The refusal on show: the error, or the empty message of a 422.
  function shownMessage() {
    return (D.el.error.hidden ? D.el.empty : D.el.error).textContent;
  }

  function failed(message) {
    D.answer.showError(message);
    D.emit('error', { mode: D.mode, status: 0, message: message });
  }

  D.pad.on.start = function () {
    cancelScheduled();
    channel.invalidate();                    // the drawing is changing
  };
  D.pad.on.end = schedulePredict;

  D.predict = {
    clearDrawing: clearDrawing,
    undoStroke: undoStroke,
    predictDrawing: predictDrawing,
    predictFile: predictFile
  };
}());
