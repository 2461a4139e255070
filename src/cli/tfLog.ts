/**
 * TensorFlow's C++ start-up log lines, as the native library writes them to
 * stderr when it loads (absl / oneDNN / CPU-feature notices). They appear
 * before any setting can silence them (TF_CPP_MIN_LOG_LEVEL does not reach
 * absl's pre-initialisation logging), so the launcher drops them from the
 * stderr of the command it runs (launch.ts), unless FEATVIS_DEBUG is set.
 */

const TF_LINE = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\s*$/,
  // absl / glog: I0000 00:00:1796239737.992670   24719 port.cc:153] … (before absl is initialised the
  // "time" is 00:00:<seconds since the epoch>)
  /^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] /,
  // TensorFlow's own format: 2025-01-01 12:00:00.000000: I tensorflow/core/… ] …
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] [\w./-]+:\d+\] /,
  // the second line of cpu_feature_guard's notice
  /^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.\s*$/,
];

/** True for a (complete) line TensorFlow's native library logged. */
export function isTfLogLine(line: string): boolean {
  return TF_LINE.some((re) => re.test(line));
}

/** Could `partial` (a line without its end yet) still become a TensorFlow log line? */
function mayBecomeTfLine(partial: string): boolean {
  if (partial.includes('\r') || partial.includes('\x1b')) return false;
  return /^(W(A(R(N(I(N(G(:.*)?)?)?)?)?)?)?|[IWEF]\d{0,4}( .*)?|\d{1,4}(-.*)?|T(o( .*)?)?)$/.test(partial);
}

/**
 * A stream filter: `push` returns what to pass on now, `end` the rest.
 * Complete lines are dropped when they are TensorFlow log lines; a partial
 * line is passed on at once unless it could still become one (so progress
 * bars redrawn with \r stay live).
 */
export class TfLogFilter {
  private pending = '';

  push(chunk: string): string {
    let text = this.pending + chunk;
    this.pending = '';
    let out = '';
    for (;;) {
      const nl = text.indexOf('\n');
      if (nl < 0) break;
      const line = text.slice(0, nl + 1);
      text = text.slice(nl + 1);
      if (!isTfLogLine(line.replace(/\r?\n$/, ''))) out += line;
    }
    if (mayBecomeTfLine(text)) this.pending = text;
    else out += text;
    return out;
  }

  end(): string {
    const rest = this.pending;
    this.pending = '';
    return isTfLogLine(rest) ? '' : rest;
  }
}
