// A training run as a directory: config.json, vocab.txt, log.jsonl (one line per logged step),
// checkpoint.safetensors (written atomically every checkpointEvery steps and at the end), eval.json and the
// report (report.html, loss.png, precision.png). Resuming reads the directory back and continues exactly.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../gpu/runtime.js';
import { writeFileAtomic } from '../io/atomic.js';
import { writeRunReport, type RunReportData } from '../report/index.js';
import { loadVocab, saveVocab, type Vocab } from '../text/vocab.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { resolveConfig, type TrainConfig } from './config.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { assembleRun, RUN_FILES, runVocab } from './run-setup.js';
import { type DualEncoder, Trainer, type TrainingData, type StepLog } from './trainer.js';

export { RUN_FILES };

/** Everything a run needs in memory: data, model, optimizer (inside the trainer). */
export interface LoadedRun {
  dir: string;
  config: TrainConfig;
  data: TrainingData;
  model: DualEncoder;
  trainer: Trainer;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(err as Error).message})`}`);
  }
}

function build(rt: Runtime, dir: string, config: TrainConfig, vocab: Vocab): LoadedRun {
  const { data, model } = assembleRun(rt, config, vocab);
  return { dir, config, data, model, trainer: new Trainer(rt, config, model, data) };
}

function checkpointState(run: LoadedRun) {
  return {
    config: run.config,
    modules: { model: run.model },
    optimizer: run.trainer.optimizer,
    random: { imageDropout: run.model.image.dropoutStream, textDropout: run.model.text.dropoutStream },
  };
}

/** A new run in `dir` (which must not hold one already). */
export async function createRun(rt: Runtime, dir: string, overrides: Record<string, unknown>): Promise<LoadedRun> {
  if (existsSync(join(dir, RUN_FILES.checkpoint)) || existsSync(join(dir, RUN_FILES.log))) {
    throw new Error(`${dir} already holds a run (use --resume to continue it, or another --out)`);
  }
  const config = resolveConfig(overrides);
  mkdirSync(dir, { recursive: true });
  const vocab = runVocab(config);
  await writeFileAtomic(join(dir, RUN_FILES.config), JSON.stringify(config, null, 2) + '\n');
  await saveVocab(join(dir, RUN_FILES.vocab), vocab);
  return build(rt, dir, config, vocab);
}

/** Opens an existing run; with `restore`, its latest checkpoint (model, optimizer, step, dropout state). */
export async function openRun(rt: Runtime, dir: string, { restore = true } = {}): Promise<LoadedRun> {
  const config = resolveConfig(readJson(join(dir, RUN_FILES.config)) as Record<string, unknown>, join(dir, RUN_FILES.config));
  const run = build(rt, dir, config, loadVocab(join(dir, RUN_FILES.vocab)).vocab);
  const checkpoint = join(dir, RUN_FILES.checkpoint);
  if (restore) {
    if (!existsSync(checkpoint)) throw new Error(`${checkpoint}: missing (the run has not reached its first checkpoint)`);
    // The saved config is compared once both are resolved, so a run saved before a setting existed (and so
    // trained with its default) still opens.
    const { step, config: saved } = await loadCheckpoint(checkpoint, { ...checkpointState(run), config: undefined });
    const resolved = JSON.stringify(resolveConfig(saved as Record<string, unknown>, checkpoint));
    if (resolved !== JSON.stringify(run.config)) throw new Error(`checkpoint ${checkpoint}: saved config ${resolved} differs from ${join(dir, RUN_FILES.config)}`);
    run.trainer.step = step;
  }
  return run;
}

/** The logged steps of a run, dropping entries past `upTo` (a resumed run rewrites those). */
export function readLog(dir: string, upTo = Infinity): StepLog[] {
  const path = join(dir, RUN_FILES.log);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      try {
        return JSON.parse(line) as StepLog;
      } catch {
        throw new Error(`${path}: line ${i + 1} is not valid JSON`);
      }
    })
    .filter((entry) => entry.step <= upTo);
}

/**
 * Trains to config.steps: logs to log.jsonl and `onLog`, checkpoints atomically. A resumed run first cuts the
 * log back to its checkpoint's step, so the log reads as if the run had never stopped.
 */
export async function train(run: LoadedRun, onLog?: (log: StepLog) => void): Promise<void> {
  const logPath = join(run.dir, RUN_FILES.log);
  const kept = readLog(run.dir, run.trainer.step);
  await writeFileAtomic(logPath, kept.map((entry) => JSON.stringify(entry) + '\n').join(''));
  await run.trainer.run({
    onLog: (log) => {
      appendFileSync(logPath, JSON.stringify(log) + '\n');
      onLog?.(log);
    },
    onCheckpoint: (step) => saveCheckpoint(join(run.dir, RUN_FILES.checkpoint), { step, ...checkpointState(run) }),
  });
}

/** Evaluates the run's model, writes eval.json and the report; returns the results. */
export async function evaluateRun(rt: Runtime, run: LoadedRun, adapter: string, limit?: number): Promise<EvalResult> {
  const result = await evaluate(rt, run.model, run.data, 'test', limit);
  const { examples, ...metrics } = result;
  await writeFileAtomic(join(run.dir, RUN_FILES.eval), JSON.stringify({ step: run.trainer.step, ...metrics }, null, 2) + '\n');
  const report: RunReportData = {
    title: `MedTrim run ${run.dir} (${run.config.objective}, ${run.config.preset}, step ${run.trainer.step})`,
    adapter,
    config: run.config as unknown as Record<string, unknown>,
    losses: readLog(run.dir).map(({ step, loss, samplesPerSec, health }) => ({ step, loss, samplesPerSec, health })),
    retrieval: result.retrieval,
    zeroShot: result.zeroShot,
    perClass: result.perClass,
    examples,
  };
  await writeRunReport(run.dir, report);
  return result;
}
