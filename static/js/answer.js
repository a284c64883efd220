/*
 * Digits.answer: the result panel. #result's data-state is one of "empty", "pending", "done",
 * "error"; data-digit / data-confidence are present only while a prediction is shown, with
 * data-not-a-digit ("true" when the server says the drawing is no digit: the page says so
 * instead of guessing). A digit's answer shows the top digit, the top-3 confidence bars and the
 * 28x28 image the model actually saw.
 */
(function () {
  'use strict';

  var D = window.Digits;
  var S = D.settings;
  var el = D.el;

  // Switch the panel to one state and drop any prediction attributes.
  function setState(state) {
    el.result.setAttribute('data-state', state);
    if (state !== 'done') {
      ['data-digit', 'data-confidence', 'data-not-a-digit', 'data-number', 'data-uncertain']
        .forEach(function (name) { el.result.removeAttribute(name); });
    }
    el.empty.hidden = state !== 'empty';
    el.error.hidden = state !== 'error';
    el.pending.hidden = !(state === 'pending' && el.answer.hidden && el.numberAnswer.hidden);
    el.answer.classList.toggle('is-stale', state === 'pending');
    el.numberAnswer.classList.toggle('is-stale', state === 'pending');
  }

  function showEmpty(message) {
    el.empty.textContent = message || S.EMPTY_TEXTS[D.mode];
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

  // Show the empty message or an error for a refused request; true when it was refused.
  function handleRefusal(response, data) {
    if (response.status === 422) {
      showEmpty(data && typeof data.error === 'string' ? D.client.sentence(data.error) : '');
      return true;
    }
    if (!response.ok) {
      showError(D.client.errorMessage(response, data));
      return true;
    }
    return false;
  }

  // Show a /api/predict answer; true when it was shown.
  function handleResponse(response, data) {
    if (handleRefusal(response, data)) return false;
    var predictions = validPredictions(data && data.predictions);
    if (!predictions.length) {
      showError('The server sent an answer this page does not understand.');
      return false;
    }
    showPrediction(predictions, data);
    return true;
  }

  function validPredictions(list) {
    return (Array.isArray(list) ? list : []).filter(function (p) {
      return p && isFinite(p.digit) && isFinite(p.confidence);
    });
  }

  function showPrediction(predictions, data) {
    var best = predictions[0];
    var rejected = data.not_a_digit === true;
    var sure = typeof data.uncertain === 'boolean' ? !data.uncertain : best.confidence >= S.UNSURE_BELOW;

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
    predictions.slice(0, S.TOP_K).forEach(function (p) { el.bars.appendChild(makeBar(p)); });

    if (isImageURL(data.processed)) {
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

  function isImageURL(value) {
    return typeof value === 'string' && value.indexOf('data:image/') === 0;
  }

  // One row of a top-k list: "7 — 98.2%" and a bar as wide as the confidence.
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

  D.answer = {
    setState: setState,
    showEmpty: showEmpty,
    showPending: showPending,
    showError: showError,
    handleRefusal: handleRefusal,
    handleResponse: handleResponse,
    validPredictions: validPredictions,
    isImageURL: isImageURL,
    makeBar: makeBar,
    describeMeta: describeMeta,
    percent: percent
  };
}());
