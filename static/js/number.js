/*
 * Digits.number: a whole number's answer. #result shows the number large (data-number), each
 * digit's box over the drawing and each digit's top guesses on hover, focus or tap.
 */
(function () {
  'use strict';

  var D = window.Digits;
  var S = D.settings;
  var el = D.el;

  // Show a /api/number answer; true when it was shown. `frame` is where the image sent lies on
  // the canvas, in fractions of its size (so the digit boxes can be drawn over the drawing), or
  // null for an uploaded file.
  function handleResponse(response, data, frame) {
    if (D.answer.handleRefusal(response, data)) return false;
    var digits = data && Array.isArray(data.digits) ? data.digits.filter(validDigit) : [];
    if (!digits.length || typeof data.number !== 'string') {
      D.answer.showError('The server sent an answer this page does not understand.');
      return false;
    }
    showNumber(data, digits, frame);
    return true;
  }

  function validDigit(d) {
    return d && isFinite(d.digit) && isFinite(d.confidence) && Array.isArray(d.predictions) &&
      Array.isArray(d.box) && d.box.length === 4;
  }

  function showNumber(data, digits, frame) {
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
      if (frame && Array.isArray(data.size)) el.boxes.appendChild(makeBox(d, i, data.size, frame));
    });
    el.numberMeta.textContent = D.answer.describeMeta(data);
    el.numberAnswer.hidden = false;

    D.answer.setState('done');
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

  // A digit's box over the drawing, in percent of the canvas: its place in the image sent
  // (`size` pixels) and the image's place on the canvas (`frame`).
  function makeBox(d, index, size, frame) {
    var box = document.createElement('div');
    box.className = 'digit-box';
    box.setAttribute('data-index', String(index));
    box.style.left = (100 * (frame.x + frame.width * d.box[0] / size[0])).toFixed(2) + '%';
    box.style.top = (100 * (frame.y + frame.height * d.box[1] / size[1])).toFixed(2) + '%';
    box.style.width = (100 * frame.width * d.box[2] / size[0]).toFixed(2) + '%';
    box.style.height = (100 * frame.height * d.box[3] / size[1]).toFixed(2) + '%';
    var label = document.createElement('span');
    label.className = 'digit-box-label';
    label.textContent = d.not_a_digit === true ? '?' : String(d.digit);
    box.appendChild(label);
    return box;
  }

  function describeDigit(d) {
    if (d.not_a_digit === true) return 'not a digit (closest ' + d.digit + ')';
    return d.digit + ', ' + D.answer.percent(d.confidence) + ' confident';
  }

  // Show one digit's top guesses and highlight its box and chip.
  function showDigit(d, index) {
    el.digitDetailTitle.textContent = 'Digit ' + (index + 1) + ': ' + describeDigit(d);
    el.digitBars.textContent = '';
    D.answer.validPredictions(d.predictions).slice(0, S.TOP_K)
      .forEach(function (p) { el.digitBars.appendChild(D.answer.makeBar(p)); });
    el.digitDetail.hidden = false;
    [el.boxes, el.numberDigits].forEach(function (parent) {
      Array.prototype.forEach.call(parent.querySelectorAll('[data-index]'), function (node) {
        node.classList.toggle('is-active', node.getAttribute('data-index') === String(index));
      });
    });
  }

  D.number = { handleResponse: handleResponse };
}());
