// Where the demo page marks OBER's entities in a report (src/web/lib/entity-marks.ts), on hand-written
// reports whose character positions were counted by hand.
import { describe, expect, it } from 'vitest';
import { markReport, type EntityMark } from '../../src/web/lib/entity-marks.js';

const summary = (marks: EntityMark[]) =>
  marks.map((m) => [m.kind, m.start, m.end, m.disease, m.values.join('|'), m.state]);

describe('markReport', () => {
  it('marks the class, its adjective and direction, and a negated finding', () => {
    //            0    5    10   15   20   25   30   35   40
    const text = 'Small left pleural effusion. No pneumothorax.';
    const { marks, entities } = markReport(text);
    expect(summary(marks)).toEqual([
      ['adjective', 0, 5, 'Pleural Effusion', 'small', 'positive'],
      ['direction', 6, 10, 'Pleural Effusion', 'left', 'positive'],
      ['class', 11, 27, 'Pleural Effusion', '', 'positive'],
      ['class', 32, 44, 'Pneumothorax', '', 'negated'],
    ]);
    expect(entities).toEqual({ 'Pleural Effusion': { adjectives: ['small'], directions: ['left'] } });
  });

  it('nests a descriptor inside an anatomy statement, expands "bibasilar", keeps a hedged finding uncertain', () => {
    const text = 'The heart is mildly enlarged. Possible bibasilar atelectasis.';
    expect(summary(markReport(text).marks)).toEqual([
      ['class', 4, 28, 'Cardiomegaly', '', 'positive'],
      ['adjective', 13, 19, 'Cardiomegaly', 'mild', 'positive'],
      ['direction', 39, 48, 'Atelectasis', 'bilateral|basilar', 'uncertain'],
      ['class', 49, 60, 'Atelectasis', '', 'uncertain'],
    ]);
  });

  it('binds a descriptor only within its sentence, also to a negated finding', () => {
    // The second "Left" (29) names a direction the effusion holds, but in another sentence: not marked.
    expect(
      summary(markReport('Small left pleural effusion. Left hip arthroplasty.').marks).map((m) => [m[0], m[1]]),
    ).toEqual([
      ['adjective', 0],
      ['direction', 6],
      ['class', 11],
    ]);
    expect(summary(markReport('Small left pleural effusion. No pneumothorax on the left.').marks).slice(3)).toEqual([
      ['class', 32, 44, 'Pneumothorax', '', 'negated'],
      ['direction', 52, 56, 'Pneumothorax', 'left', 'negated'],
    ]);
  });
});
