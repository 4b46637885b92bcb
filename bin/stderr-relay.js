// Dawn, the WebGPU implementation behind npm `webgpu`, prints two warnings from native code straight to file
// descriptor 2 whenever it opens an adapter whose dynamic-buffer limits exceed its own fixed maximum (the
// OpenGL ES adapter, every time):
//   Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic offset allocation limit.
//   Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 80 to 16 to fit dynamic offset allocation limit.
// The user can do nothing about them: Dawn clamps the limits while it enumerates the adapter (NormalizeLimits in
// its Limits.cpp), before any limits are requested, and no toggle or adapter option turns the message off. A
// write from native code bypasses process.stderr, so the CLI runs itself in a child process and relays the
// child's stderr without exactly those lines. Everything else about the child is the user's own process: stdin
// and stdout are inherited (pipes, `| head` and EPIPE behave as before), its exit code or signal is this
// process's, signals sent to this process reach it, and it sees a terminal on stderr when the user has one.
// Kept in plain JavaScript so that this process starts without loading tsx.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { WriteStream } from 'node:tty';

/** In the child's environment: `pipe`, or `tty COLUMNS ROWS` when the user's stderr is a terminal. */
const MARKER = 'MEDTRIM_STDERR_RELAY';
/** The child's end of a side channel: the child names the signals it received, the parent sends terminal sizes. */
const CHANNEL_FD = 3;
/** The termination signals this process passes on (SIGKILL and SIGSTOP cannot be caught). */
const RELAYED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/**
 * A terminal's Ctrl-C (and `kill` of a process group) reaches the child directly, and a second copy would cut
 * short a command that stops gracefully on the first (`demo`); so a signal is passed on only when, this long
 * after it came, the child has neither said it received it nor exited.
 */
const SIGNAL_GRACE_MS = 500;
/** After the child exits, how long to wait for the rest of its stderr (a process it started may hold the pipe). */
const STDERR_DRAIN_MS = 1000;

/** Dawn's lines, exactly, where # stands for a number (the adapter's own limit varies). */
const DAWN_LINES = [
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from # to # to fit dynamic offset allocation limit.\n',
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from # to # to fit dynamic offset allocation limit.\n',
];

/** Whether `text` is all of `line` (a DAWN_LINES entry), the start of it, or neither. */
function compare(text, line) {
  let at = 0;
  let digits = 0;
  for (const char of text) {
    if (line[at] === '#') {
      if (char >= '0' && char <= '9') {
        digits++;
        continue;
      }
      if (digits === 0) return 'neither';
      at++;
      digits = 0;
    }
    if (char !== line[at]) return 'neither';
    at++;
  }
  return at === line.length ? 'all' : 'start';
}

/**
 * A filter over text that drops Dawn's lines. Everything else is returned as soon as it is pushed: a line that
 * has not ended is held back only while it may still become one of Dawn's (a progress bar redrawing its line
 * with \r never is). Text is latin1-decoded bytes, so that what passes is byte for byte what the child wrote.
 */
export function dawnLineFilter() {
  let held = '';
  let insidePassedLine = false;
  return {
    push(text) {
      let out = '';
      for (let at = 0; at < text.length; ) {
        const newline = text.indexOf('\n', at);
        const end = newline < 0 ? text.length : newline + 1;
        const piece = text.slice(at, end);
        at = end;
        if (insidePassedLine) {
          out += piece;
          insidePassedLine = newline < 0;
          continue;
        }
        const line = held + piece;
        held = '';
        if (newline >= 0) {
          if (!DAWN_LINES.some((dawn) => compare(line, dawn) === 'all')) out += line;
        } else if (DAWN_LINES.some((dawn) => compare(line, dawn) === 'start')) held = line;
        else {
          out += line;
          insidePassedLine = true;
        }
      }
      return out;
    },
    /** What is still held back when the stream ends. */
    end() {
      const rest = held;
      held = '';
      return rest;
    },
  };
}

/** Whether this process is the relayed child (the one that runs the CLI). */
export function isRelayedChild() {
  return process.env[MARKER] !== undefined;
}

/** Calls `onLine` for each line of text read from `socket`. */
function readLines(socket, onLine) {
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (text) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop();
    for (const line of lines) onLine(line);
  });
}

/** Runs this script again as a child and relays its stderr; this process then ends as the child did. */
export function runRelayed() {
  const stderrIsTerminal = process.stderr.isTTY === true;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'pipe', 'pipe'],
    env: {
      ...process.env,
      [MARKER]: stderrIsTerminal ? `tty ${process.stderr.columns} ${process.stderr.rows}` : 'pipe',
    },
  });

  const filter = dawnLineFilter();
  let relaying = true;
  const relay = (text) => {
    if (text && relaying) process.stderr.write(Buffer.from(text, 'latin1'));
  };
  // The reader of stderr went away (`2>&1 | head`): close the child's stderr too, so that it meets the closed
  // pipe itself, as it would have without this process.
  process.stderr.on('error', () => {
    relaying = false;
    child.stderr.destroy();
  });
  child.stderr.setEncoding('latin1');
  child.stderr.on('data', (text) => relay(filter.push(text)));
  const stderrClosed = new Promise((resolve) => child.stderr.on('close', resolve));

  const channel = child.stdio[CHANNEL_FD];
  channel.on('error', () => {});
  const receivedAt = new Map();
  readLines(channel, (signal) => receivedAt.set(signal, Date.now()));
  const sendSize = () => channel.write(`${process.stderr.columns} ${process.stderr.rows}\n`);
  if (stderrIsTerminal) process.stderr.on('resize', sendSize);

  let exited = false;
  const passOn = (signal) => {
    const at = Date.now();
    setTimeout(() => {
      if (!exited && !((receivedAt.get(signal) ?? -Infinity) >= at - SIGNAL_GRACE_MS)) child.kill(signal);
    }, SIGNAL_GRACE_MS).unref();
  };
  for (const signal of RELAYED_SIGNALS) process.on(signal, passOn);

  child.on('error', (err) => {
    process.stderr.write(`medtrim: cannot start ${process.execPath}: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', async (code, signal) => {
    exited = true;
    let timer;
    await Promise.race([stderrClosed, new Promise((resolve) => (timer = setTimeout(resolve, STDERR_DRAIN_MS)))]);
    clearTimeout(timer);
    relay(filter.end());
    child.stderr.destroy();
    channel.destroy();
    process.stderr.off('resize', sendSize);
    for (const relayed of RELAYED_SIGNALS) process.off(relayed, passOn);
    if (signal === null) {
      process.exitCode = code;
      return;
    }
    process.kill(process.pid, signal);
    // A signal this process ignores (Node ignores SIGPIPE) does not end it: exit as a shell reports that signal.
    setTimeout(() => process.exit(128 + constants.signals[signal]), 100);
  });
}

/** Makes a pipe look like the user's terminal to the code that asks (process.stderr.isTTY, columns, colours). */
function actAsTerminal(stream, columns, rows) {
  stream.isTTY = true;
  stream.columns = columns;
  stream.rows = rows;
  const methods = [
    'getColorDepth',
    'hasColors',
    'getWindowSize',
    'cursorTo',
    'moveCursor',
    'clearLine',
    'clearScreenDown',
  ];
  for (const method of methods) stream[method] = WriteStream.prototype[method];
}

/** In the child, before the CLI loads: sets up its side of the relay. */
export function joinRelay() {
  const [mode, columns, rows] = process.env[MARKER].split(' ');
  // Processes the CLI starts are not relayed children.
  delete process.env[MARKER];
  if (mode === 'tty') actAsTerminal(process.stderr, Number(columns), Number(rows));

  const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
  channel.unref();
  channel.on('error', () => {});
  readLines(channel, (line) => {
    const [newColumns, newRows] = line.split(' ').map(Number);
    process.stderr.columns = newColumns;
    process.stderr.rows = newRows;
    process.stderr.emit('resize');
  });
  // The parent closes its end only by exiting, which it does after this process unless it was killed (kill -9):
  // end the same way rather than run on with no stderr.
  channel.on('end', () => process.kill(process.pid, 'SIGKILL'));

  // While the CLI listens for a signal, tell the parent each time it comes, so that the parent does not send a
  // second copy; while it does not, the signal's default action ends this process and the parent sees that.
  for (const signal of RELAYED_SIGNALS) {
    const report = () => channel.write(`${signal}\n`);
    process.on('newListener', (event, listener) => {
      if (event === signal && listener !== report && process.listenerCount(signal) === 0) process.on(signal, report);
    });
    process.on('removeListener', (event, listener) => {
      if (event === signal && listener !== report && process.listeners(signal).every((l) => l === report))
        process.off(signal, report);
    });
  }
}
