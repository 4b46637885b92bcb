// A training run as a directory: config.json, vocab.txt, log.jsonl (one line per logged step),
// checkpoint.safetensors (written atomically every checkpointEvery steps and at the end), eval.json and the
// report (report.html, loss.png, precision.png); for real data also splits.csv, entities.jsonl and
// image-cache/ (src/train/run-data.ts). Resuming reads the directory back and continues exactly.
// What a crash can leave behind is tolerated: a torn last line of log.jsonl (dropped with a warning) and the
// temporary files of interrupted atomic writes (removed when the run is next opened).
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Runtime } from '../gpu/runtime.js';
import { writeFileAtomic } from '../io/atomic.js';
import { hfWeightsPath, readHfBertConfig, readHfTokenizerSettings, readHfViTConfig } from '../models/hf-folder.js';
import { loadHfBert, loadHfViT, type HfLoadReport } from '../models/hf-weights.js';
import { writeRunReport, type RunReportData } from '../report/index.js';
import { loadVocab, saveVocab, type Vocab } from '../text/vocab.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { resolveConfig, type TrainConfig } from './config.js';
import { DivergenceError } from './divergence.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { openRunData, type RunDataset } from './run-data.js';
import { assembleRun, RUN_FILES, runVocab } from './run-setup.js';
import { type DualEncoder, Trainer, type TrainingData, type StepLog } from './trainer.js';

export { RUN_FILES };

export interface RunOptions {
  /** Where the run's real data is now, when it moved since training (config.data stays as trained). */
  dataPath?: string;
  /** One line per note (skipped files, loaded weights); default stderr. */
  log?: (line: string) => void;
}

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
    throw new Error(
      `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `not valid JSON (${(err as Error).message})`}`,
    );
  }
}

function build(rt: Runtime, dir: string, config: TrainConfig, vocab: Vocab, inputs: RunDataset): LoadedRun {
  const { data, model } = assembleRun(rt, config, vocab, inputs);
  return { dir, config, data, model, trainer: new Trainer(rt, config, model, data) };
}

/** Takes the encoder shapes (and the text side's vocabulary and casing) from --init-image / --init-text folders. */
function withPretrainedShapes(config: TrainConfig): TrainConfig {
  const c = { ...config };
  if (c.initImage) c.imageEncoder = { ...readHfViTConfig(c.initImage), ...c.imageEncoder };
  if (c.initText) {
    c.textEncoder = { ...readHfBertConfig(c.initText), ...c.textEncoder };
    const tokenizer = readHfTokenizerSettings(c.initText);
    if (!c.vocabFile) c.vocabFile = tokenizer.vocabPath;
    c.lowercase = tokenizer.lowercase;
    if (c.maxTokens > c.textEncoder.maxPositions!)
      throw new Error(
        `${c.initText}/config.json: max_position_embeddings ${c.textEncoder.maxPositions} is below maxTokens ${c.maxTokens}`,
      );
  }
  for (const f of ['data', 'vocabFile', 'initImage', 'initText'] as const) if (c[f]) c[f] = resolve(c[f]);
  return c;
}

function describeLoad(kind: string, dir: string, report: HfLoadReport): string {
  const fresh = report.kept.length ? `; freshly initialised: ${report.kept.join(', ')}` : '';
  const ignored = report.ignored.length ? `; not used: ${report.ignored.join(', ')}` : '';
  return `medtrim train: ${kind} encoder from ${dir}: ${report.loaded.length} tensors loaded${fresh}${ignored}`;
}

function checkpointState(run: LoadedRun) {
  return {
    config: run.config,
    modules: { model: run.model },
    optimizer: run.trainer.optimizer,
    random: { imageDropout: run.model.image.dropoutStream, textDropout: run.model.text.dropoutStream },
  };
}

/** The temporary name src/io/atomic.ts writes before its rename: `.<name>.<pid>.<12 hex digits>.tmp`. */
const ATOMIC_TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files that writers killed mid-write left in `dir` (a live writer's are kept). */
export function removeStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const pid = ATOMIC_TEMP.exec(name)?.[1];
    if (pid === undefined || processAlive(Number(pid))) continue;
    unlinkSync(join(dir, name));
    removed.push(name);
  }
  if (removed.length) console.warn(`${dir}: removed ${removed.join(', ')} (left by an interrupted write)`);
  return removed;
}

/**
 * A new run in `dir` (which must not hold one already): its data opened and split, its vocabulary learnt
 * or read (vocabFile), and its encoders started from Hugging Face folders when initImage / initText name them.
 */
export async function createRun(
  rt: Runtime,
  dir: string,
  overrides: Record<string, unknown>,
  options: RunOptions = {},
): Promise<LoadedRun> {
  if (existsSync(join(dir, RUN_FILES.checkpoint)) || existsSync(join(dir, RUN_FILES.log))) {
    throw new Error(`${dir} already holds a run (use --resume to continue it, or another --out)`);
  }
  const config = withPretrainedShapes(resolveConfig(overrides));
  const vitWeights = config.initImage ? hfWeightsPath(config.initImage) : null;
  const bertWeights = config.initText ? hfWeightsPath(config.initText) : null;
  mkdirSync(dir, { recursive: true });
  removeStaleTemps(dir);
  const inputs = await openRunData(config, dir, { create: true, warn: options.log });
  const vocab = config.vocabFile ? loadVocab(config.vocabFile).vocab : runVocab(config, inputs.dataset);
  const wantVocab = config.textEncoder?.vocabSize;
  if (wantVocab !== undefined && wantVocab !== vocab.tokens.length) {
    throw new Error(
      `${config.vocabFile ?? 'the learnt vocabulary'}: ${vocab.tokens.length} tokens, but ${config.initText}/config.json has vocab_size ${wantVocab}`,
    );
  }
  const run = build(rt, dir, config, vocab, inputs);
  const say = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  if (vitWeights) say(describeLoad('image', config.initImage!, await loadHfViT(run.model.image, vitWeights)));
  if (bertWeights) say(describeLoad('text', config.initText!, await loadHfBert(run.model.text, bertWeights)));
  await writeFileAtomic(join(dir, RUN_FILES.config), JSON.stringify(config, null, 2) + '\n');
  await saveVocab(join(dir, RUN_FILES.vocab), vocab);
  return run;
}

/** Opens an existing run; with `restore`, its latest checkpoint (model, optimizer, step, dropout state). */
export async function openRun(
  rt: Runtime,
  dir: string,
  { restore = true, ...options }: RunOptions & { restore?: boolean } = {},
): Promise<LoadedRun> {
  const config = resolveConfig(
    readJson(join(dir, RUN_FILES.config)) as Record<string, unknown>,
    join(dir, RUN_FILES.config),
  );
  removeStaleTemps(dir);
  const inputs = await openRunData(config, dir, { create: false, dataPath: options.dataPath, warn: options.log });
  const run = build(rt, dir, config, loadVocab(join(dir, RUN_FILES.vocab)).vocab, inputs);
  const checkpoint = join(dir, RUN_FILES.checkpoint);
  if (restore) {
    if (!existsSync(checkpoint))
      throw new Error(`${checkpoint}: missing (the run has not reached its first checkpoint)`);
    // The saved config is compared once both are resolved, so a run saved before a setting existed (and so
    // trained with its default) still opens.
    const { step, config: saved } = await loadCheckpoint(checkpoint, { ...checkpointState(run), config: undefined });
    const resolved = JSON.stringify(resolveConfig(saved as Record<string, unknown>, checkpoint));
    if (resolved !== JSON.stringify(run.config))
      throw new Error(`checkpoint ${checkpoint}: saved config ${resolved} differs from ${join(dir, RUN_FILES.config)}`);
    run.trainer.step = step;
  }
  return run;
}

function parseLogLine(line: string): StepLog | null {
  try {
    const entry = JSON.parse(line) as StepLog;
    return typeof entry === 'object' && entry !== null && Number.isSafeInteger(entry.step) ? entry : null;
  } catch {
    return null;
  }
}

/**
 * The logged steps of a run, dropping entries past `upTo` (a resumed run rewrites those). An unterminated last
 * line that does not parse is a write cut short (power loss, full disk): it is dropped with a warning. Any
 * other bad line is an error.
 */
export function readLog(dir: string, upTo = Infinity): StepLog[] {
  const path = join(dir, RUN_FILES.log);
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  const entries: StepLog[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const entry = parseLogLine(line);
    if (entry) entries.push(entry);
    else if (i === lines.length - 1)
      console.warn(`${path}: dropping the torn last line ${i + 1} (an interrupted write)`);
    else throw new Error(`${path}: line ${i + 1} is not a log entry`);
  });
  return entries.filter((entry) => entry.step <= upTo);
}

/**
 * Trains to config.steps: logs to log.jsonl and `onLog`, checkpoints atomically. A resumed run first cuts the
 * log back to its checkpoint's step, so the log reads as if the run had never stopped.
 */
export async function train(run: LoadedRun, onLog?: (log: StepLog & { dataWaitShare: number }) => void): Promise<void> {
  const logPath = join(run.dir, RUN_FILES.log);
  const checkpointPath = join(run.dir, RUN_FILES.checkpoint);
  const kept = readLog(run.dir, run.trainer.step);
  await writeFileAtomic(logPath, kept.map((entry) => JSON.stringify(entry) + '\n').join(''));
  // The share of the wall time between two log lines that the step spent waiting for pixels.
  const dataset = run.data.dataset;
  let windowStart = performance.now();
  let waitedBefore = dataset.dataWaitMs;
  let lastCheckpoint = existsSync(checkpointPath) ? run.trainer.step : null;
  try {
    await run.trainer.run({
      onLog: (log) => {
        const now = performance.now();
        const dataWaitShare = Number(
          ((dataset.dataWaitMs - waitedBefore) / Math.max(1e-9, now - windowStart)).toFixed(4),
        );
        [windowStart, waitedBefore] = [now, dataset.dataWaitMs];
        appendFileSync(logPath, JSON.stringify({ ...log, dataWaitShare }) + '\n');
        onLog?.({ ...log, dataWaitShare });
      },
      onCheckpoint: async (step) => {
        await saveCheckpoint(checkpointPath, { step, ...checkpointState(run) });
        lastCheckpoint = step;
      },
    });
  } catch (err) {
    if (!(err instanceof DivergenceError)) throw err;
    const kept =
      lastCheckpoint === null
        ? 'no checkpoint was written'
        : `${checkpointPath} keeps the last good step, ${lastCheckpoint}`;
    throw new Error(`${err.message}; ${kept}`, { cause: err });
  }
}

/** Evaluates the run's model, writes eval.json and the report; returns the results. */
export async function evaluateRun(rt: Runtime, run: LoadedRun, adapter: string, limit?: number): Promise<EvalResult> {
  const result = await evaluate(rt, run.model, run.data, 'test', limit);
  const { examples, ...metrics } = result;
  await writeFileAtomic(
    join(run.dir, RUN_FILES.eval),
    JSON.stringify({ step: run.trainer.step, ...metrics }, null, 2) + '\n',
  );
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
