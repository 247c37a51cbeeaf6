// Lengths as a person counts them, and shortening that never cuts a character in half.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { graphemeBoundary, graphemeLength, truncate } from '../../src/domain/text.ts';
import { splitText } from '../../adapters/channels/shared/split.ts';

const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one character
const flag = '🇩🇪'; // two regional indicators, one character
const thumbs = '👍🏽'; // with a skin tone

describe('graphemes', () => {
  test('graphemeLength counts what a person sees', () => {
    assert.equal(graphemeLength('hello'), 5);
    assert.equal(graphemeLength(family), 1);
    assert.equal(graphemeLength(`${flag}${thumbs}é`), 3);
    assert.equal(graphemeLength('e\u0301'), 1, 'e + combining accent');
  });

  test('truncate never splits an emoji and keeps short texts whole', () => {
    assert.equal(truncate('short', 10), 'short');
    assert.equal(truncate(family.repeat(3), 3), family.repeat(3), 'three characters fit in three');
    assert.equal(truncate(family.repeat(5), 3), `${family.repeat(2)}…`);
    assert.equal(truncate(`ab${flag}cd`, 4), `ab${flag}…`);
    for (let max = 1; max < 12; max++) {
      const out = truncate(`${thumbs}x${family}${flag}y${thumbs}`.repeat(2), max);
      assert.ok(graphemeLength(out) <= max, `${max}: ${out}`);
      assert.ok(!/[\uD800-\uDBFF]…|\u200D…/.test(out), `no half character before the ellipsis at ${max}`);
    }
  });

  test('graphemeBoundary moves back to the start of the character it falls in', () => {
    const text = `ab${family}cd`;
    assert.equal(graphemeBoundary(text, 2), 2);
    assert.equal(graphemeBoundary(text, 5), 2);
    assert.equal(graphemeBoundary(text, 13), 13);
  });

  test('splitText hard cuts fall between characters', () => {
    const text = `${family}${flag}${thumbs}`.repeat(40);
    const parts = splitText(text, 30);
    assert.equal(parts.join(''), text);
    const whole = new Set([family, flag, thumbs]);
    for (const part of parts) {
      assert.ok(part.length <= 30);
      for (const { segment } of new Intl.Segmenter().segment(part))
        assert.ok(whole.has(segment), `a cut character: ${JSON.stringify(segment)}`);
    }
  });
});
