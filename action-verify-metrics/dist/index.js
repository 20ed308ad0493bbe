import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 135:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   y: () => (/* binding */ readContext)
/* harmony export */ });
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(473);
/* harmony import */ var _trunkline_core_domain_verify_metrics_config__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(684);
/* harmony import */ var _trunkline_core_domain_raw_inputs__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(524);
/* harmony import */ var _trunkline_core_domain_url_credentials__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(752);




/**
 * action-verify-metrics' inputs (`INPUT_*`, see action.yml) → `VerifyMetricsConfig` through the
 * stage's one resolver (E15 errors name the input and line). Values stay untrimmed, because line
 * numbers in `expect` and `env` must match what the user wrote. A user name or password inside
 * `base-url` is masked before anything can print it. The runner's run id, attempt and
 * `RUNNER_TEMP` are passed in: the stage reads no environment.
 */
function readContext(env = process.env) {
    const raw = (0,_trunkline_core_domain_raw_inputs__WEBPACK_IMPORTED_MODULE_2__/* .rawInputsFromEnv */ .dj)(_trunkline_core_domain_verify_metrics_config__WEBPACK_IMPORTED_MODULE_1__/* .VERIFY_METRICS_INPUTS */ .MG, env);
    for (const secret of (0,_trunkline_core_domain_url_credentials__WEBPACK_IMPORTED_MODULE_3__/* .urlCredentials */ .O)(raw['base-url'] ?? ''))
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setSecret */ .Pq(secret);
    return (0,_trunkline_core_domain_verify_metrics_config__WEBPACK_IMPORTED_MODULE_1__/* .verifyMetricsConfigFromInputs */ .As)(raw, { runId: env.GITHUB_RUN_ID, runAttempt: env.GITHUB_RUN_ATTEMPT, outputDir: env.RUNNER_TEMP });
}


/***/ }),

/***/ 951:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(473);
/* harmony import */ var _trunkline_core_door_action__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(886);
/* harmony import */ var _trunkline_core_stages_verify_metrics__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(842);
/* harmony import */ var _context_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(135);
// action-verify-metrics: inputs → verify-metrics stage (run, ready, probe, scrape, lint, stop) → outputs and job summary.




await (0,_trunkline_core_door_action__WEBPACK_IMPORTED_MODULE_1__/* .runAction */ .C)('verify-metrics', async (log) => {
    const cfg = (0,_context_js__WEBPACK_IMPORTED_MODULE_3__/* .readContext */ .y)();
    // Saved before the container exists: a cancelled job still leaves the post step its name.
    if (cfg.image && cfg.containerName)
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .saveState */ .LZ('container-name', cfg.containerName);
    if (cfg.keepContainer)
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .saveState */ .LZ('keep-container', 'true');
    return (0,_trunkline_core_stages_verify_metrics__WEBPACK_IMPORTED_MODULE_2__/* .runVerifyMetrics */ .em)(cfg, log);
});

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 603:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   d: () => (/* binding */ InputError)
/* harmony export */ });
/* unused harmony export GateError */
/**
 * Bad input, found before any side effect. The message always names the input and the allowed
 * form, e.g. `Input "fail-on" must be one of CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN (got "CRIT")`.
 */
class InputError extends Error {
    input;
    constructor(input, problem) {
        super(`Input "${input}" ${problem}`);
        this.name = 'InputError';
        this.input = input;
    }
}
/** A gate that refused (findings over threshold, a signature that does not verify, ...). */
class GateError extends Error {
    constructor(message) {
        super(message);
        this.name = 'GateError';
    }
}


/***/ }),

/***/ 655:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   LC: () => (/* binding */ parseExpectations),
/* harmony export */   RC: () => (/* binding */ evaluateAll),
/* harmony export */   W6: () => (/* binding */ ExpectationSyntaxError),
/* harmony export */   Xe: () => (/* binding */ matchingSeries),
/* harmony export */   vb: () => (/* binding */ presentSeries)
/* harmony export */ });
/* unused harmony exports parseExpectation, matches, evaluateExpectation, formatExpectation */
/* harmony import */ var _exposition_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(942);

/** A syntax error in one expectation line (E15 in the action). */
class ExpectationSyntaxError extends Error {
    line;
    reason;
    constructor(line, reason) {
        super(`line ${line}: ${reason}`);
        this.name = 'ExpectationSyntaxError';
        this.line = line;
        this.reason = reason;
    }
}
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
/** Removes a `#` comment that is not inside a double-quoted string. */
function stripComment(line) {
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quoted && c === '\\') {
            i++;
            continue;
        }
        if (c === '"')
            quoted = !quoted;
        else if (c === '#' && !quoted)
            return line.slice(0, i);
    }
    return line;
}
/**
 * Parses one expectation (already stripped of comments and blanks). Throws
 * `ExpectationSyntaxError` naming `line` and what was expected where.
 */
function parseExpectation(text, line = 1) {
    let rest = text.trim();
    const fail = (reason) => { throw new ExpectationSyntaxError(line, reason); };
    const skip = () => { rest = rest.replace(/^[ \t]+/, ''); };
    const absent = rest.startsWith('!');
    if (absent) {
        rest = rest.slice(1);
        skip();
    }
    const name = NAME.exec(rest)?.[0];
    if (!name)
        fail(`expected a metric name at "${rest.slice(0, 20)}"`);
    rest = rest.slice(name.length);
    skip();
    const matchers = [];
    if (rest.startsWith('{')) {
        rest = rest.slice(1);
        for (;;) {
            skip();
            if (rest.startsWith('}')) {
                rest = rest.slice(1);
                break;
            }
            const label = LABEL.exec(rest)?.[0];
            if (!label)
                fail(`expected a label name or "}" at "${rest.slice(0, 20)}"`);
            rest = rest.slice(label.length);
            skip();
            const op = ['=~', '!~', '!=', '='].find((o) => rest.startsWith(o));
            if (!op)
                fail(`expected =, !=, =~ or !~ after label ${label}`);
            rest = rest.slice(op.length);
            skip();
            if (!rest.startsWith('"'))
                fail(`expected a double-quoted value for label ${label}`);
            const { value, length } = readQuoted(rest, fail);
            rest = rest.slice(length);
            if (op === '=~' || op === '!~')
                compileAnchored(value, (reason) => fail(`invalid regex for label ${label}: ${reason}`));
            matchers.push({ label: label, op: op, value });
            skip();
            if (rest.startsWith(',')) {
                rest = rest.slice(1);
                continue;
            }
            if (rest.startsWith('}')) {
                rest = rest.slice(1);
                break;
            }
            fail(`expected "," or "}" after the value of label ${label}`);
        }
        skip();
    }
    let comparison;
    if (rest) {
        const op = ['>=', '<=', '==', '!=', '>', '<'].find((o) => rest.startsWith(o));
        if (!op)
            fail(`expected a comparison (>=, >, ==, !=, <=, <) or the end of the line at "${rest.slice(0, 20)}"`);
        rest = rest.slice(op.length).trim();
        const value = (0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .parseGoFloat */ .Ep)(rest);
        if (value === undefined)
            fail(`expected a number after ${op} (a float, NaN, +Inf or -Inf), got "${rest}"`);
        if (absent)
            fail('"!" (absence) cannot be combined with a comparison');
        comparison = { op: op, value: value };
    }
    return { source: text.trim(), line, absent, metric: name, matchers, ...(comparison ? { comparison } : {}) };
}
/** Reads a double-quoted string with `\\`, `\"`, `\n`, `\t` escapes; returns the value and the consumed length. */
function readQuoted(text, fail) {
    let value = '';
    for (let i = 1; i < text.length; i++) {
        const c = text[i];
        if (c === '"')
            return { value, length: i + 1 };
        if (c !== '\\') {
            value += c;
            continue;
        }
        const next = text[++i];
        if (next === '\\' || next === '"')
            value += next;
        else if (next === 'n')
            value += '\n';
        else if (next === 't')
            value += '\t';
        else
            fail(`invalid escape "\\${next ?? ''}" in a quoted value`);
    }
    return fail('unterminated quoted value');
}
const regexCache = new Map();
/** PromQL regex semantics: fully anchored, `.` matches newline. */
function compileAnchored(source, fail = (r) => { throw new Error(r); }) {
    let re = regexCache.get(source);
    if (re)
        return re;
    try {
        re = new RegExp(`^(?:${source})$`, 's');
    }
    catch (error) {
        return fail(error.message);
    }
    regexCache.set(source, re);
    return re;
}
/**
 * Parses the `expect` input: one expectation per element (or per line of a string). Blank lines and
 * comments are skipped; line numbers count every input line from 1. Throws on the first bad line.
 */
function parseExpectations(input) {
    const lines = typeof input === 'string' ? input.split(/\r?\n/) : input;
    const out = [];
    lines.forEach((raw, index) => {
        const text = stripComment(raw).trim();
        if (text)
            out.push(parseExpectation(text, index + 1));
    });
    return out;
}
/** True when every matcher of `e` holds for the sample (missing labels read as ""). */
function matches(e, sample) {
    if (sample.name !== e.metric)
        return false;
    for (const m of e.matchers) {
        const actual = m.label === '__name__' ? sample.name : ((0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .labelValue */ .w)(sample.labels, m.label) ?? '');
        switch (m.op) {
            case '=':
                if (actual !== m.value)
                    return false;
                break;
            case '!=':
                if (actual === m.value)
                    return false;
                break;
            case '=~':
                if (!compileAnchored(m.value).test(actual))
                    return false;
                break;
            case '!~':
                if (compileAnchored(m.value).test(actual))
                    return false;
                break;
        }
    }
    return true;
}
function compare(op, a, b) {
    if (Number.isNaN(a) || Number.isNaN(b))
        return false;
    switch (op) {
        case '>=': return a >= b;
        case '>': return a > b;
        case '==': return a === b;
        case '!=': return a !== b;
        case '<=': return a <= b;
        case '<': return a < b;
    }
}
function jsonValue(v) {
    return Number.isFinite(v) ? v : (0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .formatValue */ .Fl)(v);
}
/** Evaluates one expectation against the samples of a scrape. */
function evaluateExpectation(e, samples) {
    let matched = 0;
    let sum = 0;
    for (const s of samples) {
        if (!matches(e, s))
            continue;
        matched++;
        sum += s.value;
    }
    let pass;
    if (e.absent)
        pass = matched === 0;
    else if (!e.comparison)
        pass = matched > 0;
    else
        pass = matched > 0 && compare(e.comparison.op, sum, e.comparison.value);
    return { expectation: e.source, matched, value: matched ? jsonValue(sum) : null, pass };
}
/** Evaluates every expectation against one parsed exposition, in order. */
function evaluateAll(expectations, exposition) {
    return expectations.map((e) => evaluateExpectation(e, exposition.samples));
}
/** Up to `limit` series (formatted `name{labels}`) whose sample name is `metric`: what was there instead. */
function presentSeries(metric, samples, limit = 5) {
    const out = [];
    for (const s of samples) {
        if (s.name !== metric)
            continue;
        out.push(`${(0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .formatSeries */ .dn)(s.name, s.labels)} ${(0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .formatValue */ .Fl)(s.value)}`);
        if (out.length >= limit)
            break;
    }
    return out;
}
/** Up to `limit` series (formatted `name{labels} value`) that `e` matches: what a failed `!metric` found. */
function matchingSeries(e, samples, limit = 5) {
    const out = [];
    for (const s of samples) {
        if (!matches(e, s))
            continue;
        out.push(`${(0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .formatSeries */ .dn)(s.name, s.labels)} ${(0,_exposition_js__WEBPACK_IMPORTED_MODULE_0__/* .formatValue */ .Fl)(s.value)}`);
        if (out.length >= limit)
            break;
    }
    return out;
}
/** Renders an expectation back in canonical syntax (for messages). */
function formatExpectation(e) {
    const labels = e.matchers.map((m) => `${m.label}${m.op}"${escapeLabelValue(m.value)}"`).join(',');
    const cmp = e.comparison ? ` ${e.comparison.op} ${formatValue(e.comparison.value)}` : '';
    return `${e.absent ? '!' : ''}${e.metric}${labels ? `{${labels}}` : ''}${cmp}`;
}


/***/ }),

/***/ 942:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Ep: () => (/* binding */ parseGoFloat),
/* harmony export */   Fl: () => (/* binding */ formatValue),
/* harmony export */   dn: () => (/* binding */ formatSeries),
/* harmony export */   gw: () => (/* binding */ parseExposition),
/* harmony export */   w: () => (/* binding */ labelValue),
/* harmony export */   zi: () => (/* binding */ ExpositionError),
/* harmony export */   zv: () => (/* binding */ decodeExposition)
/* harmony export */ });
/* unused harmony export escapeLabelValue */
/**
 * A strict parser for the Prometheus text exposition format 0.0.4, plus enough OpenMetrics 1.0
 * (`# EOF`, `_total`/`_created` counters, `# UNIT`, exemplars, float-second timestamps) to
 * evaluate expectations against it.
 *
 * Why our own: every npm parser is unmaintained and either merges labelled histograms or accepts
 * garbage (docs/verify-metrics.md, "Exposition parser"). A gate built on such a parser passes the very
 * errors it exists to catch.
 *
 * Rules (docs/verify-metrics.md, "Exposition parser"; prometheus/docs `exposition_formats.md`; Go `expfmt.TextParser`,
 * which `promtool check metrics` uses): wherever promtool 2.42 can judge an input, this parser
 * accepts and rejects the same inputs and names the same line. On top of that it rejects what
 * promtool lets through (`extra` in `ExpositionErrorKind`):
 *   - `duplicate`: the same name + label set twice (ingestion behaviour is undefined);
 *   - `interleaved`: a family that reappears after another family started;
 *   - `histogram`: a typed histogram without a `+Inf` bucket, with `+Inf` ≠ `_count`, with a bucket
 *     count that decreases as `le` grows, or with a `_bucket` sample that lacks `le`;
 *   - `encoding`: bytes that are not UTF-8 (`decodeExposition`).
 */
/** Why and where an exposition was rejected. `text` is the offending line, unmodified. */
class ExpositionError extends Error {
    kind;
    line;
    reason;
    text;
    constructor(kind, line, reason, text) {
        super(`line ${line}: ${reason}`);
        this.name = 'ExpositionError';
        this.kind = kind;
        this.line = line;
        this.reason = reason;
        this.text = text;
    }
}
const SPACE = 0x20, TAB = 0x09, HASH = 0x23, LBRACE = 0x7b, RBRACE = 0x7d, QUOTE = 0x22, BACKSLASH = 0x5c, EQUALS = 0x3d, COMMA = 0x2c;
const isBlank = (c) => c === SPACE || c === TAB;
const isLetter = (c) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
const isDigit = (c) => c >= 0x30 && c <= 0x39;
const isNameStart = (c) => isLetter(c) || c === 0x5f || c === 0x3a;
const isNameChar = (c) => isNameStart(c) || isDigit(c);
const isLabelStart = (c) => isLetter(c) || c === 0x5f;
const isLabelChar = (c) => isLabelStart(c) || isDigit(c);
/** Text-format types as `expfmt` knows them (upper-cased there, so case does not matter). */
const TEXT_TYPES = {
    COUNTER: 'counter', GAUGE: 'gauge', HISTOGRAM: 'histogram', SUMMARY: 'summary', UNTYPED: 'untyped',
    GAUGE_HISTOGRAM: 'gaugehistogram',
};
const OPENMETRICS_TYPES = {
    counter: 'counter', gauge: 'gauge', histogram: 'histogram', summary: 'summary', unknown: 'unknown',
    gaugehistogram: 'gaugehistogram', info: 'info', stateset: 'stateset',
};
/** Sample-name suffixes that belong to a family of the given type (OpenMetrics adds `_created` etc.). */
const TEXT_SUFFIXES = {
    summary: ['_sum', '_count'],
    histogram: ['_sum', '_count', '_bucket'],
};
const OPENMETRICS_SUFFIXES = {
    counter: ['_total', '_created'],
    summary: ['_sum', '_count', '_created'],
    histogram: ['_sum', '_count', '_bucket', '_created'],
    gaugehistogram: ['_gsum', '_gcount', '_bucket'],
    info: ['_info'],
};
/**
 * Parses a Go `strconv.ParseFloat` float the way `expfmt` does: decimal with optional exponent,
 * `Inf`/`Infinity`/`NaN` in any case, a sign on infinities only; no hex, no `_`, and an overflow
 * to ±Inf is an error. Returns `undefined` when `token` is not such a float.
 */
function parseGoFloat(token) {
    if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(token)) {
        const n = Number(token);
        return Number.isFinite(n) ? n : undefined;
    }
    const lower = token.toLowerCase();
    if (lower === 'nan')
        return Number.NaN;
    const m = /^([+-]?)(inf|infinity)$/.exec(lower);
    if (m)
        return m[1] === '-' ? -Infinity : Infinity;
    return undefined;
}
const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n;
/** An int64 in base 10 with an optional sign (Go `strconv.ParseInt(s, 10, 64)`), or `undefined`. */
function parseInt64(token) {
    if (!/^[+-]?\d+$/.test(token))
        return undefined;
    const big = BigInt(token);
    return big < INT64_MIN || big > INT64_MAX ? undefined : Number(big);
}
/** Renders a float the way Prometheus prints one (`+Inf`, `-Inf`, `NaN`, else JS shortest form). */
function formatValue(value) {
    if (Number.isNaN(value))
        return 'NaN';
    if (value === Infinity)
        return '+Inf';
    if (value === -Infinity)
        return '-Inf';
    return String(value);
}
/** Escapes a label value for display in exposition syntax (`\\`, `\"`, `\n`). */
function escapeLabelValue(value) {
    return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
/** `name{a="1",b="2"}` with labels in name order (`name` alone when there are none). */
function formatSeries(name, labels) {
    const keys = Object.keys(labels).sort();
    if (keys.length === 0)
        return name;
    return `${name}{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
}
/**
 * Decodes a scraped body as UTF-8, rejecting invalid bytes (`ExpositionError` kind `encoding` on
 * the line where they occur) instead of silently replacing them with U+FFFD.
 */
function decodeExposition(bytes) {
    try {
        return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    }
    catch {
        const text = new TextDecoder('utf-8').decode(bytes);
        const lines = text.split('\n');
        const index = lines.findIndex((l) => l.includes('\uFFFD'));
        throw new ExpositionError('encoding', index + 1, 'invalid UTF-8', lines[index] ?? '');
    }
}
/**
 * Cursor over one line of the input, `[start, end)` without its `\n`. One scanner walks the whole
 * input (no per-line strings): the line's text is only sliced out for error messages.
 */
class LineScanner {
    input;
    lineNo = 0;
    start = 0;
    end = 0;
    pos = 0;
    constructor(input) {
        this.input = input;
    }
    reset(start, end, lineNo) {
        this.start = start;
        this.pos = start;
        this.end = end;
        this.lineNo = lineNo;
    }
    /** The whole current line (for messages). */
    get text() { return this.input.slice(this.start, this.end); }
    /** The rest of the line from the cursor. */
    rest() { return this.input.slice(this.pos, this.end); }
    get atEnd() { return this.pos >= this.end; }
    /** The character code under the cursor (a method, so TypeScript does not narrow it across moves). */
    peek() { return this.input.charCodeAt(this.pos); }
    /** The character code after the cursor, or NaN at the end of the line. */
    peekNext() { return this.pos + 1 < this.end ? this.input.charCodeAt(this.pos + 1) : Number.NaN; }
    /** The character under the cursor for messages (`\n` at the end of the line). */
    shown() { return this.atEnd ? '\\n' : this.input[this.pos]; }
    skipBlanks() { while (this.pos < this.end && isBlank(this.input.charCodeAt(this.pos)))
        this.pos++; }
    fail(reason, kind = 'syntax') {
        throw new ExpositionError(kind, this.lineNo, reason, this.text);
    }
    /** A token up to the next blank or the end of the line. */
    token() {
        const start = this.pos;
        while (this.pos < this.end && !isBlank(this.input.charCodeAt(this.pos)))
            this.pos++;
        return this.input.slice(start, this.pos);
    }
    metricName() {
        const start = this.pos;
        if (this.atEnd || !isNameStart(this.peek()))
            return '';
        while (this.pos < this.end && isNameChar(this.input.charCodeAt(this.pos)))
            this.pos++;
        return this.input.slice(start, this.pos);
    }
    labelName() {
        const start = this.pos;
        if (this.atEnd || !isLabelStart(this.peek()))
            return '';
        while (this.pos < this.end && isLabelChar(this.input.charCodeAt(this.pos)))
            this.pos++;
        return this.input.slice(start, this.pos);
    }
    /** A quoted label value starting after the opening quote; handles `\\`, `\"` and `\n`. */
    labelValue() {
        const start = this.pos;
        const text = this.input;
        // Fast path: no escapes.
        let i = start;
        while (i < this.end) {
            const c = text.charCodeAt(i);
            if (c === QUOTE) {
                this.pos = i + 1;
                return text.slice(start, i);
            }
            if (c === BACKSLASH)
                break;
            i++;
        }
        let out = text.slice(start, i);
        while (i < this.end) {
            const c = text.charCodeAt(i);
            if (c === QUOTE) {
                this.pos = i + 1;
                return out;
            }
            if (c === BACKSLASH) {
                const next = i + 1 < this.end ? text[i + 1] : undefined;
                if (next === '\\' || next === '"')
                    out += next;
                else if (next === 'n')
                    out += '\n';
                else
                    this.fail(`invalid escape sequence '\\${next ?? '\\n'}'`);
                i += 2;
                continue;
            }
            out += text[i];
            i++;
        }
        this.pos = this.end;
        return this.fail(`label value "${out}" contains unescaped new-line`);
    }
}
/** The text of 1-based line `n` of `input` (error paths only). */
function lineOf(input, n) {
    let start = 0;
    for (let i = 1; i < n; i++) {
        const nl = input.indexOf('\n', start);
        if (nl < 0)
            return '';
        start = nl + 1;
    }
    const nl = input.indexOf('\n', start);
    return input.slice(start, nl < 0 ? input.length : nl);
}
/** Offset of the last non-blank line when it is exactly `# EOF` (trailing blanks allowed), else -1. */
function eofLineStart(input) {
    let i = input.length - 1;
    while (i >= 0) {
        const c = input.charCodeAt(i);
        if (c !== SPACE && c !== TAB && c !== 0x0a)
            break;
        i--;
    }
    if (i < 0)
        return -1;
    const start = input.lastIndexOf('\n', i) + 1;
    return i - start + 1 === 5 && input.startsWith('# EOF', start) ? start : -1;
}
/**
 * Parses an exposition. Returns families and samples; throws `ExpositionError` at the first
 * problem, with its 1-based line number (the line promtool would name, for the rules it shares).
 *
 * Format rules: lines end in `\n` and so must the last one (a trailing line of only blanks is
 * fine; OpenMetrics may omit the newline after `# EOF`); `#` lines are comments unless the first
 * token is HELP or TYPE (and UNIT in OpenMetrics); HELP unescapes `\\` and `\n` only; TYPE must
 * precede the family's first sample and appear once; sample = name, optional `{labels}`, a Go
 * float, an optional int64 millisecond timestamp (OpenMetrics: float seconds and an exemplar).
 */
function parseExposition(input, options = {}) {
    let format = options.format === 'openmetrics' ? 'openmetrics' : 'text';
    const eofStart = eofLineStart(input);
    if (eofStart >= 0 && options.format !== 'text')
        format = 'openmetrics';
    const om = format === 'openmetrics';
    if (om && eofStart < 0) {
        let lineCount = 1;
        for (let i = input.indexOf('\n'); i >= 0 && i < input.length - 1; i = input.indexOf('\n', i + 1))
            lineCount++;
        throw new ExpositionError('syntax', lineCount, 'OpenMetrics exposition does not end with "# EOF"', lineOf(input, lineCount));
    }
    // OpenMetrics mode is a superset of text mode, so a 0.0.4 body that merely ends in `# EOF` still parses.
    const typeOf = (token) => (om ? OPENMETRICS_TYPES[token] : undefined) ?? TEXT_TYPES[token.toUpperCase()];
    const suffixes = om ? OPENMETRICS_SUFFIXES : TEXT_SUFFIXES;
    const families = new Map();
    /** Sample names resolved to another family (`x_bucket` → `x`); stable once the base is typed. */
    const aliases = new Map();
    const samples = [];
    const seen = new Set();
    /** Label names and values of the sample being parsed, reused from line to line. */
    const pairs = [];
    let current;
    /** `expfmt`'s setOrCreateCurrentMF: exact name, else the summary/histogram (etc.) it is a suffix of. */
    const resolve = (name, s) => {
        let family = families.get(name) ?? aliases.get(name);
        if (!family) {
            for (const [type, list] of Object.entries(suffixes)) {
                const suffix = list.find((s) => name.endsWith(s));
                if (!suffix)
                    continue;
                const base = families.get(name.slice(0, -suffix.length));
                if (base && base.type === type && base.typeSet) {
                    family = base;
                    aliases.set(name, base);
                    break;
                }
            }
        }
        if (!family) {
            family = { name, type: om ? 'unknown' : 'untyped', line: s.lineNo, typeSet: false, closed: false };
            families.set(name, family);
        }
        if (family !== current) {
            if (family.closed) {
                s.fail(`metric family ${family.name} reappears after other families (first seen on line ${family.line})`, 'interleaved');
            }
            if (current)
                current.closed = true;
            current = family;
        }
        return family;
    };
    const s = new LineScanner(input);
    for (let start = 0, lineNo = 1;; lineNo++) {
        const nl = input.indexOf('\n', start);
        const last = nl < 0;
        s.reset(start, last ? input.length : nl, lineNo);
        start = nl + 1;
        s.skipBlanks();
        if (s.atEnd) {
            if (last)
                break;
            continue;
        }
        // A segment after the last `\n` is a line without its newline (OpenMetrics may end at `# EOF`).
        if (last && !(om && s.start === eofStart))
            s.fail('unexpected end of input stream');
        if (s.peek() === HASH) {
            s.pos++;
            parseComment(s);
        }
        else {
            parseSample(s);
        }
        if (last)
            break;
    }
    checkHistograms();
    return {
        format,
        families: [...families.values()].map(({ typeSet: _t, closed: _c, ...f }) => f),
        samples,
    };
    function parseComment(s) {
        s.skipBlanks();
        if (s.atEnd)
            return;
        const keyword = s.token();
        if (s.atEnd)
            return;
        if (keyword !== 'HELP' && keyword !== 'TYPE' && !(om && keyword === 'UNIT'))
            return;
        s.skipBlanks();
        if (!s.atEnd && s.peek() === LBRACE && s.peekNext() === QUOTE)
            s.fail('quoted metric names are not supported', 'unsupported');
        const name = s.metricName();
        if (s.atEnd)
            return;
        if (!isBlank(s.peek()))
            s.fail('invalid metric name in comment');
        const family = resolve(name, s);
        s.skipBlanks();
        if (s.atEnd)
            return;
        const rest = s.rest();
        if (keyword === 'HELP') {
            if (family.help !== undefined)
                s.fail(`second HELP line for metric name "${family.name}"`);
            family.help = unescapeHelp(s, rest);
        }
        else if (keyword === 'TYPE') {
            if (family.typeSet)
                s.fail(`second TYPE line for metric name "${family.name}", or TYPE reported after samples`);
            const type = typeOf(rest);
            if (!type)
                s.fail(`unknown metric type "${rest}"`);
            family.type = type;
            family.typeSet = true;
        }
        else {
            if (family.unit !== undefined)
                s.fail(`second UNIT line for metric name "${family.name}"`);
            family.unit = rest;
        }
    }
    function unescapeHelp(s, rest) {
        if (!rest.includes('\\'))
            return rest;
        let out = '';
        for (let i = 0; i < rest.length; i++) {
            const c = rest[i];
            if (c !== '\\') {
                out += c;
                continue;
            }
            const next = rest[i + 1];
            if (next === '\\')
                out += '\\';
            else if (next === 'n')
                out += '\n';
            else if (om && next === '"')
                out += '"';
            else
                s.fail(`invalid escape sequence '\\${next ?? '\\n'}'`);
            i++;
        }
        return out;
    }
    function parseSample(s) {
        if (s.peek() === LBRACE && s.peekNext() === QUOTE)
            s.fail('quoted metric names are not supported', 'unsupported');
        const name = s.metricName();
        if (!name)
            s.fail('invalid metric name');
        const family = resolve(name, s);
        family.typeSet = true; // a TYPE line after this sample is an error, as in expfmt
        s.skipBlanks();
        const labels = {};
        pairs.length = 0;
        if (!s.atEnd && s.peek() === LBRACE) {
            s.pos++;
            parseLabels(s, family, labels, pairs);
        }
        const valueToken = s.token();
        const value = parseGoFloat(valueToken);
        if (value === undefined)
            s.fail(`expected float as value, got "${valueToken}"`);
        let timestamp;
        if (!s.atEnd) {
            s.skipBlanks();
            if (om)
                timestamp = parseOpenMetricsTail(s);
            else {
                const tsToken = s.token();
                timestamp = parseInt64(tsToken);
                if (timestamp === undefined)
                    s.fail(`expected integer as timestamp, got "${tsToken}"`);
                if (!s.atEnd)
                    s.fail(`spurious string after timestamp: "${s.rest()}"`);
            }
        }
        const key = keyFromPairs(name, pairs);
        if (seen.has(key))
            s.fail(`duplicate series ${formatSeries(name, labels)}`, 'duplicate');
        seen.add(key);
        const sample = { name, family: family.name, labels, value, line: s.lineNo };
        if (timestamp !== undefined)
            sample.timestamp = timestamp;
        samples.push(sample);
    }
    /** After `{`: label pairs up to `}` and the blanks after it. Blanks are allowed around every token. */
    function parseLabels(s, family, labels, out) {
        for (;;) {
            s.skipBlanks();
            if (s.atEnd)
                s.fail(`invalid label name for metric "${family.name}"`);
            if (s.peek() === RBRACE)
                break;
            const label = s.labelName();
            if (!label)
                s.fail(`invalid label name for metric "${family.name}"`);
            if (label === '__name__')
                s.fail('label name "__name__" is reserved');
            s.skipBlanks();
            if (s.atEnd || s.peek() !== EQUALS)
                s.fail(`expected '=' after label name, found '${s.shown()}'`);
            if (Object.hasOwn(labels, label))
                s.fail(`duplicate label names for metric "${family.name}"`);
            s.pos++;
            s.skipBlanks();
            if (s.atEnd || s.peek() !== QUOTE)
                s.fail(`expected '"' at start of label value, found '${s.shown()}'`);
            s.pos++;
            const value = s.labelValue();
            if (label === 'le' && (family.type === 'histogram' || (om && family.type === 'gaugehistogram')) && parseGoFloat(value) === undefined) {
                s.fail(`expected float as value for 'le' label, got "${value}"`);
            }
            if (label === 'quantile' && family.type === 'summary' && parseGoFloat(value) === undefined) {
                s.fail(`expected float as value for 'quantile' label, got "${value}"`);
            }
            if (label === '__proto__')
                Object.defineProperty(labels, label, { value, enumerable: true, writable: true, configurable: true });
            else
                labels[label] = value;
            out.push(label, value);
            s.skipBlanks();
            if (!s.atEnd && s.peek() === COMMA) {
                s.pos++;
                continue;
            }
            if (!s.atEnd && s.peek() === RBRACE)
                break;
            s.fail(`unexpected end of label value "${value}"`);
        }
        s.pos++;
        s.skipBlanks();
    }
    /** OpenMetrics after the value: `[timestamp] [# {exemplar labels} value [timestamp]]`. */
    function parseOpenMetricsTail(s) {
        let timestamp;
        if (!s.atEnd && s.peek() !== HASH) {
            const tsToken = s.token();
            const seconds = parseGoFloat(tsToken);
            if (seconds === undefined || !Number.isFinite(seconds))
                s.fail(`expected timestamp, got "${tsToken}"`);
            timestamp = Math.round(seconds * 1000);
            s.skipBlanks();
        }
        if (s.atEnd)
            return timestamp;
        if (s.peek() !== HASH)
            s.fail(`spurious string after timestamp: "${s.rest()}"`);
        s.pos++;
        s.skipBlanks();
        if (s.atEnd || s.peek() !== LBRACE)
            s.fail('expected "{" to open an exemplar');
        s.pos++;
        const exemplarFamily = { name: 'exemplar', type: 'unknown', line: s.lineNo, typeSet: true, closed: false };
        parseLabels(s, exemplarFamily, {}, []);
        const valueToken = s.token();
        if (parseGoFloat(valueToken) === undefined)
            s.fail(`expected float as exemplar value, got "${valueToken}"`);
        s.skipBlanks();
        if (!s.atEnd) {
            const tsToken = s.token();
            if (parseGoFloat(tsToken) === undefined)
                s.fail(`expected exemplar timestamp, got "${tsToken}"`);
            s.skipBlanks();
            if (!s.atEnd)
                s.fail(`spurious string after exemplar: "${s.rest()}"`);
        }
        return timestamp;
    }
    /** Histogram invariants per label set (excluding `le`): `+Inf` present, = `_count`, cumulative. */
    function checkHistograms() {
        const groups = new Map();
        const pairs = [];
        for (const sample of samples) {
            const family = families.get(sample.family);
            if (family.type !== 'histogram')
                continue;
            const suffix = sample.name.slice(family.name.length);
            pairs.length = 0;
            for (const k in sample.labels)
                if (k !== 'le')
                    pairs.push(k, sample.labels[k]);
            const key = keyFromPairs(family.name, pairs);
            const le = labelValue(sample.labels, 'le');
            let group = groups.get(key);
            if (!group)
                groups.set(key, (group = { buckets: [], first: sample }));
            if (suffix === '_bucket') {
                if (le === undefined)
                    throw new ExpositionError('histogram', sample.line, `histogram bucket ${sample.name} has no "le" label`, lineOf(input, sample.line));
                group.buckets.push({ le: parseGoFloat(le), value: sample.value, sample });
            }
            else if (suffix === '_count') {
                group.count = sample;
            }
        }
        for (const group of groups.values()) {
            const series = formatSeries(group.first.family, withoutLe(group.first.labels));
            const sorted = [...group.buckets].sort((a, b) => a.le - b.le);
            const inf = sorted.find((b) => b.le === Infinity);
            if (!inf) {
                const at = group.buckets.at(-1)?.sample ?? group.first;
                throw new ExpositionError('histogram', at.line, `histogram ${series} has no le="+Inf" bucket`, lineOf(input, at.line));
            }
            for (let i = 1; i < sorted.length; i++) {
                if (sorted[i].value < sorted[i - 1].value) {
                    const at = sorted[i].sample;
                    throw new ExpositionError('histogram', at.line, `histogram ${series} bucket le="${at.labels.le}" (${formatValue(sorted[i].value)}) is below the previous bucket (${formatValue(sorted[i - 1].value)})`, lineOf(input, at.line));
                }
            }
            if (group.count && group.count.value !== inf.value && !(Number.isNaN(group.count.value) && Number.isNaN(inf.value))) {
                throw new ExpositionError('histogram', group.count.line, `histogram ${series} _count (${formatValue(group.count.value)}) differs from its le="+Inf" bucket (${formatValue(inf.value)})`, lineOf(input, group.count.line));
            }
        }
    }
}
function withoutLe(labels) {
    const { le: _le, ...rest } = labels;
    return rest;
}
/** The value of label `name`, or `undefined` when the sample does not carry it (never an inherited property). */
function labelValue(labels, name) {
    return Object.hasOwn(labels, name) ? labels[name] : undefined;
}
/**
 * A canonical key for a series (duplicate detection, histogram grouping): the name plus its labels
 * in name order, from a flat `[name1, value1, name2, value2, ...]` list (sorted in place).
 */
function keyFromPairs(name, pairs) {
    if (pairs.length === 0)
        return name;
    // Insertion sort of the (few) pairs by label name, in place, without allocating.
    for (let i = 2; i < pairs.length; i += 2) {
        const k = pairs[i], v = pairs[i + 1];
        let j = i - 2;
        while (j >= 0 && pairs[j] > k) {
            pairs[j + 2] = pairs[j];
            pairs[j + 3] = pairs[j + 1];
            j -= 2;
        }
        pairs[j + 2] = k;
        pairs[j + 3] = v;
    }
    // JSON of the string list (name last): unambiguous whatever the values contain, one flat
    // string from fast native code.
    pairs.push(name);
    const key = JSON.stringify(pairs);
    pairs.pop();
    return key;
}


/***/ }),

/***/ 524:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Xo: () => (/* binding */ checkRawSizes),
/* harmony export */   dj: () => (/* binding */ rawInputsFromEnv),
/* harmony export */   we: () => (/* binding */ RawReader)
/* harmony export */ });
/* unused harmony exports flagsFromTable, rawInputsFromFlags, MAX_RAW_INPUT_BYTES */
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(603);

/**
 * Typed readers over one `RawInputs` record. Every reader trims, treats an empty value as "not
 * given" (except where a list's empty means "none"), and throws `InputError` naming the input
 * and the allowed form (docs/errors.md, `input-invalid`).
 */
class RawReader {
    raw;
    table;
    constructor(raw, table) {
        this.raw = raw;
        this.table = table;
    }
    /** The untrimmed value, or the table default when absent. */
    value(name) {
        const value = this.raw[name];
        if (value !== undefined)
            return value;
        return this.table?.find((s) => s.name === name)?.default;
    }
    /** A trimmed string; `undefined` when empty. Throws `InputError` when `required` and empty. */
    string(name, options = {}) {
        const value = (this.value(name) ?? '').trim();
        if (!value) {
            if (options.required)
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(name, typeof options.required === 'string' ? `is required: ${options.required}` : 'is required');
            return undefined;
        }
        return value;
    }
    /** `true`/`false` in the YAML 1.2 core schema spellings (as `core.getBooleanInput`); empty → `fallback`. */
    boolean(name, fallback) {
        const value = this.string(name);
        if (value === undefined)
            return fallback;
        if (/^(true|True|TRUE)$/.test(value))
            return true;
        if (/^(false|False|FALSE)$/.test(value))
            return false;
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(name, `must be true or false (got "${value}")`);
    }
    /** One of `allowed` (case-sensitive); empty → `fallback`. */
    oneOf(name, allowed, fallback) {
        const value = this.string(name);
        if (value === undefined)
            return fallback;
        if (!allowed.includes(value))
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
        return value;
    }
    /** A whole number within [min, max]; empty → `fallback`. */
    integer(name, fallback, range = {}) {
        const value = this.string(name);
        if (value === undefined)
            return fallback;
        const min = range.min ?? Number.MIN_SAFE_INTEGER;
        const max = range.max ?? Number.MAX_SAFE_INTEGER;
        if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(name, `must be a whole number from ${min} to ${max} (got "${value}")`);
        }
        return Number(value);
    }
    /**
     * Items split on newlines (and on commas unless `commas: false`), trimmed; blank items and
     * `#` comment lines dropped. Absent or empty → `[]`.
     */
    list(name, options = {}) {
        const lines = (this.value(name) ?? '').split(/\r?\n/).filter((l) => !l.trim().startsWith('#'));
        const items = options.commas === false ? lines : lines.flatMap((l) => l.split(','));
        return items.map((s) => s.trim()).filter(Boolean);
    }
}
/** Reads the action's raw inputs for every non-CLI-only row of `table` from `INPUT_<NAME>` (runner contract). */
function rawInputsFromEnv(table, env) {
    const raw = {};
    for (const spec of table) {
        if (spec.cliOnly)
            continue;
        const value = env[`INPUT_${spec.name.replace(/ /g, '_').toUpperCase()}`];
        if (value !== undefined)
            raw[spec.name] = value;
    }
    return raw;
}
/** `node:util.parseArgs` option definitions for every non-action-only row: `--<name>`, repeatable for lists. */
function flagsFromTable(table) {
    return Object.fromEntries(table.filter((s) => !s.actionOnly).map((s) => [s.name, s.list ? { type: 'string', multiple: true } : { type: 'string' }]));
}
/** Parsed flag values (from `flagsFromTable`) → `RawInputs`; repeated values are joined with newlines. */
function rawInputsFromFlags(table, values) {
    const raw = {};
    for (const spec of table) {
        const value = values[spec.name];
        if (typeof value === 'string')
            raw[spec.name] = value;
        else if (Array.isArray(value))
            raw[spec.name] = value.join('\n');
    }
    return raw;
}
/** Largest raw value a resolver accepts (64 KiB): far above any real input, far below a memory problem. */
const MAX_RAW_INPUT_BYTES = 64 * 1024;
/** Throws `InputError` naming the first value of `raw` longer than `maxBytes` (UTF-8). */
function checkRawSizes(raw, maxBytes = MAX_RAW_INPUT_BYTES) {
    for (const [name, value] of Object.entries(raw)) {
        if (value !== undefined && Buffer.byteLength(value) > maxBytes)
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_0__/* .InputError */ .d(name, `is ${Buffer.byteLength(value)} bytes, more than the limit of ${maxBytes}`);
    }
}


/***/ }),

/***/ 752:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   B: () => (/* binding */ redactUrl),
/* harmony export */   O: () => (/* binding */ urlCredentials)
/* harmony export */ });
/**
 * Credentials inside a URL (`http://user:secret@host/`, WHATWG URL userinfo): the values a door
 * masks in its log and the URL with them removed, for every message that names the URL.
 */
/**
 * The password of `url` as written and decoded, for a log mask; `[]` when none or not a URL. The
 * user name is not masked: a short one (`probe`) would blank ordinary words in every log line.
 */
function urlCredentials(url) {
    let parsed;
    try {
        parsed = new URL(url.trim());
    }
    catch {
        return [];
    }
    if (!parsed.password)
        return [];
    return [...new Set([parsed.password, safeDecode(parsed.password)])];
}
/** `url` with any user name and password replaced by `***` (`http://***:***@host/`); text that is no URL is returned as is. */
function redactUrl(url) {
    let parsed;
    try {
        parsed = new URL(url);
    }
    catch {
        return url;
    }
    if (!parsed.username && !parsed.password)
        return url;
    if (parsed.username)
        parsed.username = '***';
    if (parsed.password)
        parsed.password = '***';
    return parsed.toString();
}
function safeDecode(value) {
    try {
        return decodeURIComponent(value);
    }
    catch {
        return value;
    }
}


/***/ }),

/***/ 684:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   As: () => (/* binding */ verifyMetricsConfigFromInputs),
/* harmony export */   MG: () => (/* binding */ VERIFY_METRICS_INPUTS),
/* harmony export */   b7: () => (/* binding */ validateVerifyMetricsConfig)
/* harmony export */ });
/* unused harmony exports DEFAULT_EXPECTATION, DEFAULT_DOCKER_ARGS, DEFAULT_LINT_IGNORE, verifyMetricsContainerName, defaultVerifyMetricsConfig, MetricsInputError, parseEnvLines */
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(598);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__nccwpck_require__.n(node_crypto__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(603);
/* harmony import */ var _raw_inputs_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(524);
/* harmony import */ var _expectations_js__WEBPACK_IMPORTED_MODULE_3__ = __nccwpck_require__(655);




const DEFAULT_EXPECTATION = 'http_requests_total{handler="/",method="GET",status="200"} >= 1';
const DEFAULT_DOCKER_ARGS = ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges'];
const DEFAULT_LINT_IGNORE = [
    'nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total',
    'nodejs_eventloop_utilization_histogram', 'nodejs_eventloop_utilization_summary',
];
/**
 * The inputs of action-verify-metrics (its action.yml) with action.yml's defaults; the CLI takes
 * the same names as `--flags` (lists repeat). The one place these names and defaults exist.
 */
const VERIFY_METRICS_INPUTS = [
    { name: 'image' },
    { name: 'base-url' },
    { name: 'network', default: 'bridge' },
    { name: 'container-port', default: '8080' },
    { name: 'env', default: 'ENABLE_METRICS=true', list: 'lines' },
    { name: 'docker-args', default: DEFAULT_DOCKER_ARGS.join(' ') },
    { name: 'readiness-path', default: '/readyz' },
    { name: 'readiness-timeout', default: '30' },
    { name: 'probe-path', default: '/' },
    { name: 'probe-count', default: '5' },
    { name: 'probe-expect-status', default: '2xx' },
    { name: 'metrics-path', default: '/metrics' },
    { name: 'expect', default: DEFAULT_EXPECTATION, list: 'lines' },
    { name: 'expect-timeout', default: '10' },
    { name: 'max-series', default: '2000' },
    { name: 'lint', default: 'warn' },
    { name: 'promtool-path' },
    { name: 'lint-ignore', default: DEFAULT_LINT_IGNORE.join(','), list: 'items' },
    { name: 'check-shutdown', default: 'true' },
    { name: 'shutdown-timeout', default: '15' },
    { name: 'log-lines', default: '200' },
    { name: 'keep-container', default: 'false' },
    { name: 'output-dir', cliOnly: true },
];
/** Inputs whose empty value means "none" rather than "the default" (`lint-ignore: ''` tolerates nothing). */
const EMPTY_MEANS_NONE = new Set(['env', 'docker-args', 'lint-ignore']);
/**
 * The container name, unique per job and call: `vm-<runId>-<attempt>-<6 hex>`, reduced to the
 * characters Docker allows (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`). Parallel matrix jobs share run id and
 * attempt, so the random part keeps them apart. Named before anything starts so the action can
 * hand the name to its post step and the CLI to its signal handler.
 */
function verifyMetricsContainerName(runId, attempt) {
    const clean = (s) => s.replace(/[^a-zA-Z0-9_.-]/g, '-');
    return `vm-${clean(runId)}-${clean(attempt)}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.randomBytes)(3).toString('hex')}`;
}
/**
 * The typed defaults (the table's, parsed), with `overrides` applied; `image`/`baseUrl` are left
 * for the caller. Every config gets its run id (default `local`) and its container name here,
 * the only place the name is built.
 */
function defaultVerifyMetricsConfig(overrides = {}) {
    const { runAttempt, ...rest } = overrides;
    const runId = rest.runId ?? 'local';
    return {
        ...typedFields(new _raw_inputs_js__WEBPACK_IMPORTED_MODULE_2__/* .RawReader */ .we({}, VERIFY_METRICS_INPUTS)),
        startTimeoutMs: 300_000,
        ...rest,
        runId,
        containerName: rest.containerName ?? verifyMetricsContainerName(runId, runAttempt ?? '1'),
    };
}
const PREFIX = 'verify-metrics:';
/** E15: `verify-metrics: invalid input <name> line <n>: <reason>`, thrown before anything starts. */
class MetricsInputError extends _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d {
    line;
    constructor(input, line, reason) {
        super(input, reason);
        this.message = `${PREFIX} invalid input ${input} line ${line}: ${reason}`;
        this.name = 'MetricsInputError';
        this.line = line;
    }
}
/** `docker run` arguments the stage manages itself; passing them in `dockerArgs` would break the lifecycle. */
const RESERVED_DOCKER_ARGS = ['--rm', '-d', '--detach', '--name', '--network', '--net', '-p', '--publish', '-P', '--publish-all', '--env-file', '-e', '--env'];
/**
 * Validates the whole config before any side effect (a syntax error fails before anything starts).
 * Returns the parsed expectations; throws `MetricsInputError` (E15) naming the input.
 */
function validateVerifyMetricsConfig(cfg) {
    if (!cfg.image === !cfg.baseUrl)
        throw new MetricsInputError(cfg.image ? 'base-url' : 'image', 1, 'exactly one of image or base-url is required');
    if (cfg.baseUrl) {
        let url;
        try {
            url = new URL(cfg.baseUrl);
        }
        catch { /* reported below */ }
        if (!url || !/^https?:$/.test(url.protocol))
            throw new MetricsInputError('base-url', 1, `must be an http:// or https:// URL (got "${cfg.baseUrl}")`);
    }
    if (cfg.image && /\s/.test(cfg.image))
        throw new MetricsInputError('image', 1, `must be an image reference without blanks (got "${cfg.image}")`);
    if (cfg.network !== 'bridge' && cfg.network !== 'host')
        throw new MetricsInputError('network', 1, `must be bridge or host (got "${String(cfg.network)}")`);
    if (!Number.isInteger(cfg.port) || cfg.port < 1 || cfg.port > 65535)
        throw new MetricsInputError('container-port', 1, `must be a port from 1 to 65535 (got "${cfg.port}")`);
    Object.entries(cfg.env).forEach(([key, value], index) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
            throw new MetricsInputError('env', index + 1, `expected KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]* (got "${key}")`);
        if (/[\r\n]/.test(value))
            throw new MetricsInputError('env', index + 1, `the value of ${key} must be one line`);
    });
    cfg.dockerArgs.forEach((arg) => {
        const flag = arg.split('=')[0];
        if (RESERVED_DOCKER_ARGS.includes(flag))
            throw new MetricsInputError('docker-args', 1, `${flag} is managed by the action (use the network/env inputs instead)`);
    });
    for (const [name, path] of [['readiness-path', cfg.readinessPath], ['probe-path', cfg.probePath], ['metrics-path', cfg.metricsPath]]) {
        if (!path.startsWith('/') || /\s/.test(path))
            throw new MetricsInputError(name, 1, `must be a path starting with "/" (got "${path}")`);
    }
    if (!/^[1-5](\d\d|xx)$/.test(cfg.probeExpectStatus))
        throw new MetricsInputError('probe-expect-status', 1, `must be a status code such as 200 or a class such as 2xx (got "${cfg.probeExpectStatus}")`);
    const positive = [
        ['readiness-timeout', cfg.readinessTimeoutMs], ['expect-timeout', cfg.expectTimeoutMs], ['max-series', cfg.maxSeries],
        ['shutdown-timeout', cfg.shutdownTimeoutSeconds], ['log-lines', cfg.logLines + 1], ['probe-count', cfg.probeCount + 1],
    ];
    for (const [name, value] of positive) {
        if (!Number.isFinite(value) || value <= 0)
            throw new MetricsInputError(name, 1, `must be a positive number (got "${value}")`);
    }
    if (!['off', 'warn', 'error'].includes(cfg.lint))
        throw new MetricsInputError('lint', 1, `must be off, warn or error (got "${cfg.lint}")`);
    let expectations;
    try {
        expectations = (0,_expectations_js__WEBPACK_IMPORTED_MODULE_3__/* .parseExpectations */ .LC)(cfg.expectations);
    }
    catch (error) {
        if (error instanceof _expectations_js__WEBPACK_IMPORTED_MODULE_3__/* .ExpectationSyntaxError */ .W6)
            throw new MetricsInputError('expect', error.line, error.reason);
        throw error;
    }
    if (expectations.length === 0)
        throw new MetricsInputError('expect', 1, 'at least one expectation is required');
    return expectations;
}
/** Seconds as a bare number (`30`, `0.5`) or with a unit (`500ms`, `30s`, `2m`); returns milliseconds. */
function duration(read, name) {
    const v = read.string(name);
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v);
    if (!m || Number(m[1]) <= 0)
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d(name, `must be a positive number of seconds, or a duration such as 500ms, 30s or 2m (got "${v}")`);
    const n = Number(m[1]);
    return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}
/** Every typed field read from `read` (table defaults for absent inputs), not yet validated as a whole. */
function typedFields(read) {
    const fields = {
        network: read.oneOf('network', ['bridge', 'host'], 'bridge'),
        port: read.integer('container-port', 8080, { min: 1, max: 65535 }),
        env: parseEnvLines(read.value('env') ?? ''),
        dockerArgs: (read.value('docker-args') ?? '').split(/\s+/).filter(Boolean),
        readinessPath: read.string('readiness-path'),
        readinessTimeoutMs: duration(read, 'readiness-timeout'),
        probePath: read.string('probe-path'),
        probeCount: read.integer('probe-count', 5, { min: 0, max: 1000 }),
        probeExpectStatus: read.string('probe-expect-status'),
        metricsPath: read.string('metrics-path'),
        // Untrimmed lines: E15 errors count lines as the user wrote them.
        expectations: (read.value('expect') ?? '').split(/\r?\n/),
        expectTimeoutMs: duration(read, 'expect-timeout'),
        maxSeries: read.integer('max-series', 2000, { min: 1, max: 10_000_000 }),
        lint: read.oneOf('lint', ['off', 'warn', 'error'], 'warn'),
        lintIgnore: read.list('lint-ignore').flatMap((item) => item.split(/\s+/)).filter(Boolean),
        checkShutdown: read.boolean('check-shutdown', true),
        shutdownTimeoutSeconds: Math.max(1, Math.round(duration(read, 'shutdown-timeout') / 1000)),
        logLines: read.integer('log-lines', 200, { min: 0, max: 100_000 }),
        keepContainer: read.boolean('keep-container', false),
    };
    const optional = { image: read.string('image'), baseUrl: read.string('base-url'), promtoolPath: read.string('promtool-path'), outputDir: read.string('output-dir') };
    for (const [key, value] of Object.entries(optional))
        if (value !== undefined)
            fields[key] = value;
    return fields;
}
/** `KEY=VALUE` lines (blank and `#` lines skipped); E15 names the line of a malformed entry. */
function parseEnvLines(text, input = 'env') {
    const env = {};
    text.split(/\r?\n/).forEach((line, index) => {
        const trimmed = line.trim();
        if (!trimmed || trimmed.startsWith('#'))
            return;
        const eq = trimmed.indexOf('=');
        if (eq <= 0)
            throw new MetricsInputError(input, index + 1, `expected KEY=VALUE (got "${trimmed}")`);
        const key = trimmed.slice(0, eq).trim();
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
            throw new MetricsInputError(input, index + 1, `expected KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]* (got "${key}")`);
        env[key] = trimmed.slice(eq + 1).trim();
    });
    return env;
}
/**
 * The one resolver: raw values by input name (action inputs, CLI flags) → validated config.
 * Absent inputs take the table's default; an empty value does too, except for `env`,
 * `docker-args` and `lint-ignore`, where empty means "none". `door` supplies the run id, attempt
 * and output dir. Throws `MetricsInputError` (E15: `verify-metrics: invalid input <name> line <n>:
 * <reason>`) naming the input and line, before anything starts.
 */
function verifyMetricsConfigFromInputs(raw, door = {}) {
    const given = {};
    for (const [name, value] of Object.entries(raw)) {
        if (value !== undefined && (value.trim() !== '' || EMPTY_MEANS_NONE.has(name)))
            given[name] = value;
    }
    let cfg;
    try {
        (0,_raw_inputs_js__WEBPACK_IMPORTED_MODULE_2__/* .checkRawSizes */ .Xo)(given);
        const fields = typedFields(new _raw_inputs_js__WEBPACK_IMPORTED_MODULE_2__/* .RawReader */ .we(given, VERIFY_METRICS_INPUTS));
        cfg = defaultVerifyMetricsConfig({
            ...fields,
            ...(door.runId ? { runId: door.runId } : {}),
            ...(door.runAttempt ? { runAttempt: door.runAttempt } : {}),
            ...(door.outputDir && !fields.outputDir ? { outputDir: door.outputDir } : {}),
        });
    }
    catch (error) {
        // The shared readers throw InputError; E15 adds the stage prefix and the line.
        if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_1__/* .InputError */ .d && !(error instanceof MetricsInputError)) {
            throw new MetricsInputError(error.input, 1, error.message.replace(`Input "${error.input}" `, ''));
        }
        throw error;
    }
    validateVerifyMetricsConfig(cfg);
    return cfg;
}


/***/ }),

/***/ 886:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   C: () => (/* binding */ runAction)
/* harmony export */ });
/* unused harmony export createActionsLogger */
/* harmony import */ var _actions_core__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(473);
/* harmony import */ var _report_result_js__WEBPACK_IMPORTED_MODULE_2__ = __nccwpck_require__(183);
/* harmony import */ var _report_render_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(946);



/** A Logger over `@actions/core`: groups, annotations and `::add-mask::` for secrets. */
function createActionsLogger() {
    return {
        info: (m) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .info */ .pq(m),
        debug: (m) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .debug */ .Yz(m),
        warning: (m, p) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .warning */ .$e(m, p),
        error: (m, p) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .error */ .z3(m, p),
        group: (title, fn) => _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .group */ .Os(title, fn),
        secret: (v) => { if (v)
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setSecret */ .Pq(v); },
    };
}
/**
 * The whole life of an action's `main.ts`: run `body` (context → stage) with an Actions logger,
 * publish every output (lists newline-joined, records as JSON), append the job summary, and
 * fail the step (`core.setFailed`) when the stage failed or threw. Bad input (`InputError`) fails
 * the same way, with its message naming the input. Returns the result for tests.
 */
async function runAction(name, body) {
    const log = createActionsLogger();
    const start = performance.now();
    let result;
    try {
        result = await body(log);
    }
    catch (error) {
        result = (0,_report_result_js__WEBPACK_IMPORTED_MODULE_2__/* .failedFromError */ .af)(name, error, Math.round(performance.now() - start));
    }
    for (const [key, value] of Object.entries(result.outputs)) {
        if (value !== undefined)
            _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setOutput */ .uH(key, (0,_report_render_js__WEBPACK_IMPORTED_MODULE_1__/* .outputToString */ .yK)(value));
    }
    try {
        await _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .summary */ .z.addRaw(result.summaryMarkdown ?? (0,_report_render_js__WEBPACK_IMPORTED_MODULE_1__/* .defaultStageMarkdown */ .h2)(result), true).write();
    }
    catch (error) {
        // Outside a runner there is no GITHUB_STEP_SUMMARY: the summary is a courtesy, not the verdict.
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .debug */ .Yz(`job summary not written: ${error.message}`);
    }
    if (result.status === 'failed')
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .setFailed */ .C1(result.error ?? `${name} failed`);
    else if (result.status === 'skipped')
        _actions_core__WEBPACK_IMPORTED_MODULE_0__/* .notice */ .lm(`${name} skipped: ${result.notes[0] ?? 'no reason given'}`);
    return result;
}


/***/ }),

/***/ 946:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Qj: () => (/* binding */ markdownTable),
/* harmony export */   cV: () => (/* binding */ stageMarkdown),
/* harmony export */   h2: () => (/* binding */ defaultStageMarkdown),
/* harmony export */   yK: () => (/* binding */ outputToString)
/* harmony export */ });
/* unused harmony exports statusIcon, textTable */
/**
 * Converts one output value to the string form a step output takes: lists become newline-joined
 * lines, records and arrays of records become JSON, booleans `true`/`false`.
 */
function outputToString(value) {
    if (value === undefined)
        return '';
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number' || typeof value === 'boolean')
        return String(value);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
        return value.join('\n');
    return JSON.stringify(value);
}
const ICON = { passed: '✅', failed: '❌', skipped: '⏭️' };
/** The job-summary icon of a stage status (✅ passed, ❌ failed, ⏭️ skipped). */
function statusIcon(status) {
    return ICON[status];
}
function escapeCell(text) {
    return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}
/** A markdown table of rows (first row is the header); cells are escaped for `|` and newlines. */
function markdownTable(rows) {
    const [head, ...body] = rows;
    if (!head)
        return '';
    const line = (cells) => `| ${cells.map(escapeCell).join(' | ')} |`;
    return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}
/**
 * The one job-summary renderer every stage uses: the common header (icon, stage, status, time),
 * the error, the notes, then the stage's own `sections` in order. Returns GitHub-flavoured markdown.
 */
function stageMarkdown(result, sections = []) {
    const parts = [`### ${ICON[result.status]} ${result.name}: ${result.status} (${result.durationMs} ms)`];
    if (result.error)
        parts.push(`**Error:** ${result.error}`);
    for (const note of result.notes)
        parts.push(`- ${note}`);
    for (const section of sections) {
        if (!section.body.trim())
            continue;
        if (section.collapsed)
            parts.push(`<details><summary>${section.heading ?? 'Details'}</summary>\n\n${section.body}\n\n</details>`);
        else
            parts.push(section.heading ? `#### ${section.heading}\n\n${section.body}` : section.body);
    }
    return parts.join('\n\n');
}
/**
 * The default job-summary section for a stage that wrote none of its own: status, notes, findings
 * (capped at `maxFindings` with an "and N more" line) and outputs.
 */
function defaultStageMarkdown(result, maxFindings = 20) {
    const parts = [stageMarkdown(result)];
    if (result.findings.length) {
        const rows = result.findings.slice(0, maxFindings).map((f) => [f.severity ?? '', f.id, f.message, f.location ?? '']);
        parts.push(markdownTable([['Severity', 'ID', 'Message', 'Location'], ...rows]));
        if (result.findings.length > maxFindings)
            parts.push(`…and ${result.findings.length - maxFindings} more`);
    }
    const outputs = Object.entries(result.outputs).filter(([, v]) => v !== undefined && v !== '');
    if (outputs.length) {
        parts.push('<details><summary>Outputs</summary>\n');
        parts.push(markdownTable([['Output', 'Value'], ...outputs.map(([k, v]) => [k, `\`${outputToString(v)}\``])]));
        parts.push('\n</details>');
    }
    return parts.join('\n\n');
}
/** A plain-text table of stages for terminals: name, status, duration, first note or error. */
function textTable(results) {
    const rows = results.map((r) => [r.name, r.status.toUpperCase(), `${(r.durationMs / 1000).toFixed(1)}s`, r.error ?? r.notes[0] ?? '']);
    const header = ['STAGE', 'STATUS', 'TIME', 'DETAIL'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').split('\n')[0].length)));
    const fmt = (r) => r.map((c, i) => (i === r.length - 1 ? c.split('\n')[0] : c.padEnd(widths[i]))).join('  ');
    return [fmt(header), ...rows.map(fmt)].join('\n');
}


/***/ }),

/***/ 183:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Si: () => (/* binding */ runStage),
/* harmony export */   af: () => (/* binding */ failedFromError)
/* harmony export */ });
/* unused harmony exports timed, skipped */
/**
 * Runs `fn` and stamps its result with the stage name and its wall time (ms, from
 * `performance.now()`). An exception is not caught here: the door decides how to report it.
 * Prefer `runStage`, which also turns a thrown error into a `failed` result.
 */
async function timed(name, fn) {
    const start = performance.now();
    const body = await fn();
    return { name, durationMs: Math.round(performance.now() - start), ...body };
}
/**
 * The one stage contract: runs `fn`, stamps the stage name and wall time (ms, `performance.now()`),
 * and turns anything it throws (an `InputError` for bad input included) into a `failed` result with
 * the message as `error` and `outputs` from `failedOutputs` (default `{}`), so a stage never throws
 * at its door. `onError` may add notes or a job summary to that failed result.
 */
async function runStage(name, fn, options = {}) {
    const start = performance.now();
    try {
        const body = await fn();
        return { name, durationMs: Math.round(performance.now() - start), ...body };
    }
    catch (error) {
        const result = failedFromError(name, error, Math.round(performance.now() - start), options.failedOutputs?.() ?? {});
        options.onError?.(result);
        return result;
    }
}
/** A `skipped` result with the reason as its first note (never to be mistaken for `passed`). */
function skipped(name, reason, outputs = {}) {
    return { name, status: 'skipped', durationMs: 0, outputs, findings: [], notes: [reason] };
}
/** A `failed` result for an error thrown by a stage, keeping the elapsed time. */
function failedFromError(name, error, durationMs, outputs = {}) {
    const message = error instanceof Error ? error.message : String(error);
    return { name, status: 'failed', durationMs, outputs, findings: [], notes: [], error: message };
}


/***/ }),

/***/ 842:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  em: () => (/* binding */ runVerifyMetrics)
});

// UNUSED EXPORTS: MetricsCheckError, defaultVerifyMetricsConfig, expositionFormatOf, statusMatches

;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: external "node:timers/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:timers/promises");
;// CONCATENATED MODULE: external "node:async_hooks"
const external_node_async_hooks_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:async_hooks");
;// CONCATENATED MODULE: ./core/src/report/external-time.ts

const storage = new external_node_async_hooks_namespaceObject.AsyncLocalStorage();
/** Marks the start of an external wait in the current stage; returns the function that ends it. */
function beginExternal() {
    const clock = storage.getStore();
    if (!clock)
        return () => { };
    if (clock.active++ === 0)
        clock.since = performance.now();
    let ended = false;
    return () => {
        if (ended)
            return;
        ended = true;
        if (--clock.active === 0)
            clock.totalMs += performance.now() - clock.since;
    };
}
/** Runs `fn` as an external wait (e.g. a `fetch`). */
async function external(fn) {
    const end = beginExternal();
    try {
        return await fn();
    }
    finally {
        end();
    }
}
/** Runs `fn` with a fresh clock; returns its value and the external milliseconds it accumulated. */
async function measureExternal(fn) {
    const clock = { active: 0, since: 0, totalMs: 0 };
    const value = await storage.run(clock, fn);
    return { value, externalMs: Math.round(clock.totalMs) };
}

// EXTERNAL MODULE: ./core/src/domain/exposition.ts
var domain_exposition = __nccwpck_require__(942);
// EXTERNAL MODULE: ./core/src/domain/expectations.ts
var domain_expectations = __nccwpck_require__(655);
;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: ./core/src/report/logger.ts
/** Replaces every registered secret in `text` with `***` (the runner's own mask marker). */
function maskSecrets(text, secrets) {
    let out = text;
    for (const s of secrets)
        if (s.length > 0)
            out = out.split(s).join('***');
    return out;
}
/**
 * A Logger for terminals and tests. Lines go to `write` (stderr by default) with the stage name as
 * prefix; secrets registered with `secret()` are masked in every line.
 */
function createConsoleLogger(options = {}) {
    const secrets = new Set();
    const write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    let indent = '';
    const emit = (kind, message) => {
        const prefix = options.prefix ? `[${options.prefix}] ` : '';
        for (const line of maskSecrets(message, secrets).split('\n'))
            write(`${indent}${prefix}${kind}${line}`);
    };
    return {
        info: (m) => emit('', m),
        debug: (m) => { if (options.debug)
            emit('debug: ', m); },
        warning: (m, p) => emit('warning: ', p?.file ? `${p.file}${p.startLine ? `:${p.startLine}` : ''}: ${m}` : m),
        error: (m, p) => emit('error: ', p?.file ? `${p.file}${p.startLine ? `:${p.startLine}` : ''}: ${m}` : m),
        async group(title, fn) {
            emit('▸ ', title);
            const outer = indent;
            indent = `${outer}  `;
            try {
                return await fn();
            }
            finally {
                indent = outer;
            }
        },
        secret: (v) => { if (v)
            secrets.add(v); },
    };
}
/** A Logger that keeps every line in memory (tests assert on what a user would have read). */
function createMemoryLogger() {
    const lines = [];
    const logger = createConsoleLogger({ write: (l) => lines.push(l), debug: true });
    return Object.assign(logger, { lines });
}

;// CONCATENATED MODULE: ./core/src/adapters/process.ts




/** A child that exited non-zero, was killed, or could not start. */
class ProcessError extends Error {
    command;
    code;
    stdout;
    stderr;
    constructor(command, code, stdout, stderr, reason) {
        const tail = stderr.trim().split('\n').slice(-20).join('\n');
        super(`${command} ${reason}${tail ? `:\n${tail}` : ''}`);
        this.name = 'ProcessError';
        this.command = command;
        this.code = code;
        this.stdout = stdout;
        this.stderr = stderr;
    }
}
/** Children started by `run` that have not closed yet: what a signal handler must stop. */
const liveChildren = new Set();
/**
 * Sends `signal` to every child `run` started that is still running (a door's SIGINT/SIGTERM
 * handler calls it so no eslint, docker or trivy outlives the CLI). Returns how many were signalled.
 */
function signalRunningChildren(signal) {
    for (const child of liveChildren)
        child.kill(signal);
    return liveChildren.size;
}
/** Renders argv for logs: each argument that needs it is single-quoted; secrets are masked. */
function formatCommand(file, args, secrets = []) {
    const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
    return maskSecrets([file, ...args].map(quote).join(' '), secrets);
}
/**
 * Runs `file` with an argument array (never a shell string: nothing is interpolated by a shell).
 * Resolves with the exit code and captured output; rejects with `ProcessError` on a non-zero exit
 * (unless `allowFailure`), on a timeout, or when the program cannot be started (ENOENT).
 */
function run(file, args, options = {}) {
    const secrets = options.secrets ?? [];
    const display = formatCommand(file, args, secrets);
    options.logger?.debug(`$ ${display}`);
    const start = performance.now();
    const endExternal = beginExternal();
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_namespaceObject.spawn)(file, [...args], {
            cwd: options.cwd,
            env: options.env ? { ...process.env, ...options.env } : process.env,
            stdio: ['pipe', 'pipe', 'pipe'],
        });
        liveChildren.add(child);
        const out = [];
        const err = [];
        let killedForTimeout = false;
        let timer;
        let killTimer;
        if (options.timeoutMs !== undefined) {
            timer = setTimeout(() => {
                killedForTimeout = true;
                child.kill('SIGTERM');
                killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
            }, options.timeoutMs);
        }
        const streamLines = (chunk) => {
            if (!options.logger)
                return;
            for (const line of chunk.toString('utf8').split('\n'))
                if (line.trim())
                    options.logger.info(maskSecrets(line, secrets));
        };
        child.stdout.on('data', (c) => { out.push(c); if (!options.binary)
            streamLines(c); });
        child.stderr.on('data', (c) => { err.push(c); streamLines(c); });
        child.on('error', (e) => {
            liveChildren.delete(child);
            clearTimeout(timer);
            endExternal();
            reject(new ProcessError(display, null, '', '', `could not start (${e.code ?? e.message})`));
        });
        child.on('close', (code, signal) => {
            liveChildren.delete(child);
            endExternal();
            clearTimeout(timer);
            clearTimeout(killTimer);
            const stdoutBuffer = Buffer.concat(out);
            const stdout = options.binary ? '' : maskSecrets(stdoutBuffer.toString('utf8'), secrets);
            const stderr = maskSecrets(Buffer.concat(err).toString('utf8'), secrets);
            const result = { code: code ?? -1, stdout, stderr, durationMs: Math.round(performance.now() - start) };
            if (options.binary)
                result.stdoutBuffer = stdoutBuffer;
            if (killedForTimeout)
                return reject(new ProcessError(display, code, stdout, stderr, `timed out after ${options.timeoutMs} ms`));
            if (code !== 0 && !options.allowFailure) {
                return reject(new ProcessError(display, code, stdout, stderr, signal ? `was killed by ${signal}` : `exited with code ${code}`));
            }
            resolve(result);
        });
        child.stdin.on('error', () => { });
        child.stdin.end(options.input ?? '');
    });
}
/** True when `file` can be started (`file --version` exits 0 within 10 s). */
async function isAvailable(file, versionArgs = ['--version']) {
    try {
        await run(file, versionArgs, { timeoutMs: 10_000 });
        return true;
    }
    catch {
        return false;
    }
}
/**
 * Starts `file` with an argument array in the background, stdout and stderr appended to `logFile`
 * (stdin closed). With `detached`, the child gets its own process group and is unref'd, so it keeps
 * running after this Node process exits (a shared local daemon). Rejects with `ProcessError` when the
 * program cannot be started (ENOENT). Readiness is the caller's to poll, with its own deadline.
 */
async function startBackground(file, args, options) {
    const fd = openSync(options.logFile, 'a');
    const child = spawn(file, [...args], { detached: options.detached ?? false, stdio: ['ignore', fd, fd] });
    try {
        await new Promise((resolve, reject) => {
            child.once('spawn', () => resolve());
            child.once('error', (e) => reject(new ProcessError(formatCommand(file, args), null, '', '', `could not start (${e.code ?? e.message})`)));
        });
    }
    finally {
        closeSync(fd); // the child holds its own copy of the descriptor
    }
    if (options.detached)
        child.unref();
    const exited = new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null)
            resolve();
        else
            child.once('exit', () => resolve());
    });
    const exitCode = () => child.exitCode ?? (child.signalCode ? -1 : null);
    return {
        pid: child.pid,
        exitCode,
        exited,
        async stop(graceMs = 5000) {
            if (exitCode() !== null)
                return;
            child.kill('SIGTERM');
            let timer;
            const killed = new Promise((resolve) => { timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, graceMs); });
            await Promise.race([exited, killed]);
            clearTimeout(timer);
        },
    };
}

;// CONCATENATED MODULE: ./core/src/adapters/docker.ts

/**
 * The Docker CLI. `TRUNKLINE_DOCKER` picks the binary (default `docker` on PATH). Every docker
 * call in Trunkline goes through `docker()`, so argv is always an array and credentials go on
 * stdin (`--password-stdin`).
 */
function dockerBinary() {
    return process.env.TRUNKLINE_DOCKER || 'docker';
}
/** Runs `docker <args>`; rejects with `ProcessError` on failure (see `run`). */
function docker_docker(args, options = {}) {
    return run(dockerBinary(), args, options);
}
/** True when a Docker daemon answers `docker info` within 10 s. */
async function dockerDaemonReady() {
    try {
        await docker_docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 });
        return true;
    }
    catch {
        return false;
    }
}

;// CONCATENATED MODULE: ./core/src/adapters/docker-run.ts




/**
 * Running a container under test: start it labelled and uniquely named, watch its state, read
 * its logs, stop it with SIGTERM and remove it. Every call has a timeout, so nothing here can hang
 * a job. See docs/verify-metrics.md ("Lifecycle", "Failure modes this order avoids").
 */
/** The label every container started by verify-metrics carries; its value is the run id. */
const VERIFY_METRICS_LABEL = 'org.trunkline.verify-metrics';
/** `docker` failed; `firstLine` is the first non-empty stderr line (what E01/E02 report). */
class DockerRunError extends Error {
    firstLine;
    constructor(message, firstLine) {
        super(message);
        this.name = 'DockerRunError';
        this.firstLine = firstLine;
    }
}
const firstLine = (text) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
/**
 * `docker <args>`, resolving with its trimmed stdout. Every failure (non-zero exit, timeout, no
 * CLI) rejects as `DockerRunError`, whose `firstLine` is the first stderr line, else
 * `fallback(stdout)`, else the exit code. (No stdout fallback by default: `docker run -d` prints
 * the container id there even when the start fails.)
 */
async function dockerStdout(args, timeoutMs, fallback = () => '') {
    let r;
    try {
        r = await docker_docker(args, { timeoutMs, allowFailure: true });
    }
    catch (error) {
        throw new DockerRunError(error.message, firstLine(error.message));
    }
    if (r.code !== 0)
        throw new DockerRunError(`docker ${args[0]} exited ${r.code}`, firstLine(r.stderr) || fallback(r.stdout) || `exit code ${r.code}`);
    return r.stdout.trim();
}
/** The daemon's version, or `DockerRunError` with the client's first stderr line (no daemon, no CLI). */
function dockerServerVersion(timeoutMs = 15_000) {
    return dockerStdout(['version', '--format', '{{.Server.Version}}'], timeoutMs, firstLine);
}
/** The `docker run -d` argv for a spec (exported for tests; the env file path is passed in). */
function runArgs(spec, envFile) {
    const args = ['run', '-d', '--name', spec.name];
    for (const [k, v] of Object.entries(spec.labels))
        args.push('--label', `${k}=${v}`);
    args.push('--env-file', envFile);
    if (spec.network === 'host')
        args.push('--network', 'host');
    else if (spec.publishPort !== undefined)
        args.push('--publish', `127.0.0.1::${spec.publishPort}`);
    args.push(...spec.extraArgs, spec.image);
    return args;
}
/**
 * `docker run -d` the spec; resolves with the container id. Rejects with `DockerRunError` carrying
 * the first stderr line (bad image, name clash, invalid argument). `timeoutMs` covers a pull.
 */
async function startContainer(spec, timeoutMs = 300_000) {
    const dir = (0,external_node_fs_namespaceObject.mkdtempSync)((0,external_node_path_namespaceObject.join)((0,external_node_os_namespaceObject.tmpdir)(), 'trunkline-env-'));
    const envFile = (0,external_node_path_namespaceObject.join)(dir, 'env');
    try {
        (0,external_node_fs_namespaceObject.writeFileSync)(envFile, Object.entries(spec.env).map(([k, v]) => `${k}=${v}\n`).join(''), { mode: 0o600 });
        return await dockerStdout(runArgs(spec, envFile), timeoutMs);
    }
    finally {
        (0,external_node_fs_namespaceObject.rmSync)(dir, { recursive: true, force: true });
    }
}
/**
 * The container's state from `docker inspect` (`.State`, with `.State.Health` when the image has a
 * HEALTHCHECK: docker's verdict and the last check's output), or `undefined` when it no longer exists.
 */
async function containerState(id) {
    const r = await docker_docker(['inspect', '--format', '{{json .State}}', id], { timeoutMs: 15_000, allowFailure: true });
    if (r.code !== 0)
        return undefined;
    const s = JSON.parse(r.stdout);
    const state = { status: s.Status, running: s.Running, exitCode: s.ExitCode, oomKilled: s.OOMKilled };
    if (s.Health?.Status)
        state.health = s.Health.Status;
    const last = s.Health?.Log?.at(-1);
    if (last)
        state.lastHealthCheck = { exitCode: last.ExitCode, output: last.Output };
    return state;
}
/** Parses `docker port` output (`127.0.0.1:49153`, possibly several lines) into the IPv4 loopback port. */
function parsePortOutput(stdout) {
    for (const line of stdout.split('\n')) {
        const m = /^(?:127\.0\.0\.1|0\.0\.0\.0):(\d+)$/.exec(line.trim());
        if (m)
            return Number(m[1]);
    }
    return undefined;
}
/** The host port Docker published for `containerPort/tcp` (bridge mode). */
async function publishedPort(id, containerPort) {
    const r = await docker_docker(['port', id, `${containerPort}/tcp`], { timeoutMs: 15_000, allowFailure: true });
    const port = parsePortOutput(r.stdout);
    if (port === undefined)
        throw new DockerRunError(`no published port for ${containerPort}/tcp`, firstLine(r.stderr) || r.stdout.trim());
    return port;
}
/** The last `tail` lines of the container's stdout and stderr (empty when it is gone). */
async function containerLogs(id, tail) {
    const r = await docker_docker(['logs', '--tail', String(tail), id], { timeoutMs: 30_000, allowFailure: true });
    if (r.code !== 0)
        return '';
    return [r.stdout.trimEnd(), r.stderr.trimEnd()].filter(Boolean).join('\n');
}
/**
 * `docker stop -t <seconds>`: SIGTERM, then SIGKILL at the deadline. Resolves with the wall time
 * in milliseconds and the exit code afterwards (137 = killed at the deadline).
 */
async function stopContainer(id, timeoutSeconds) {
    const start = performance.now();
    await docker_docker(['stop', '-t', String(timeoutSeconds), id], { timeoutMs: timeoutSeconds * 1000 + 30_000, allowFailure: true });
    const durationMs = Math.round(performance.now() - start);
    return { durationMs, exitCode: (await containerState(id))?.exitCode };
}
/** `docker rm -f`; true when the container is gone afterwards (also when it never existed). */
async function removeContainer(idOrName) {
    const r = await docker_docker(['rm', '-f', idOrName], { timeoutMs: 60_000, allowFailure: true });
    return r.code === 0 || /No such container/i.test(r.stderr);
}
/** Ids of all containers (running or not) carrying `label` (with `value` when given). */
async function listLabelledContainers(label, value) {
    const filter = value === undefined ? label : `${label}=${value}`;
    const r = await docker(['ps', '-aq', '--filter', `label=${filter}`], { timeoutMs: 15_000 });
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

;// CONCATENATED MODULE: external "node:http"
const external_node_http_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");
;// CONCATENATED MODULE: external "node:https"
const external_node_https_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");
// EXTERNAL MODULE: ./core/src/domain/url-credentials.ts
var url_credentials = __nccwpck_require__(752);
;// CONCATENATED MODULE: ./core/src/adapters/http-probe.ts




/** A request that got no complete response: `code` is the errno (`ECONNREFUSED`, ...) or `ETIMEDOUT`/`EBODYTOOLARGE`. */
class HttpProbeError extends Error {
    code;
    constructor(code, message) {
        super(message);
        this.name = 'HttpProbeError';
        this.code = code;
    }
}
/**
 * `GET url` with a fresh connection (no keep-alive agent, so nothing lingers after the check).
 * Resolves with status, headers and the raw body for any HTTP status; rejects with
 * `HttpProbeError` when there is no complete response within `timeoutMs`; its message names the
 * URL without credentials.
 */
function httpGet(url, options) {
    const target = typeof url === 'string' ? new URL(url) : url;
    const request = target.protocol === 'https:' ? external_node_https_namespaceObject.request : external_node_http_namespaceObject.request;
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    const start = performance.now();
    // Credentials in the URL go out as Basic auth, never into a message.
    const shown = (0,url_credentials/* redactUrl */.B)(target.href);
    return external(() => new Promise((resolve, reject) => {
        let settled = false;
        const finish = (fn) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            fn();
        };
        const req = request(target, { method: 'GET', headers: { Connection: 'close', ...options.headers }, agent: false }, (res) => {
            const chunks = [];
            let size = 0;
            res.on('data', (chunk) => {
                size += chunk.length;
                if (size > maxBytes) {
                    finish(() => reject(new HttpProbeError('EBODYTOOLARGE', `GET ${shown}: body larger than ${maxBytes} bytes`)));
                    req.destroy();
                    return;
                }
                chunks.push(chunk);
            });
            res.on('end', () => finish(() => resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks),
                durationMs: Math.round(performance.now() - start),
            })));
            res.on('error', (e) => finish(() => reject(new HttpProbeError(e.code ?? 'ERESPONSE', `GET ${shown}: ${e.message}`))));
        });
        const timer = setTimeout(() => {
            finish(() => reject(new HttpProbeError('ETIMEDOUT', `GET ${shown}: no complete response within ${options.timeoutMs} ms`)));
            req.destroy();
        }, options.timeoutMs);
        req.on('error', (e) => finish(() => reject(new HttpProbeError(e.code ?? 'EREQUEST', `GET ${shown}: ${e.message}`))));
        req.end();
    }));
}

;// CONCATENATED MODULE: ./core/src/adapters/promtool.ts

/**
 * The promtool binary to use: `explicit` when given (must run), else `promtool` on PATH;
 * `undefined` when none runs (`promtool --version` within 10 s).
 */
async function findPromtool(explicit) {
    const candidate = explicit ?? 'promtool';
    return (await isAvailable(candidate, ['--version'])) ? candidate : undefined;
}
/** Parses promtool's stderr for exit code 3 into problems (`metric` = first token). */
function parseLintOutput(stderr) {
    return stderr.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
        const space = line.indexOf(' ');
        return space < 0 ? { metric: line, problem: '' } : { metric: line.slice(0, space), problem: line.slice(space + 1) };
    });
}
/** Lints an exposition given as text on stdin. Throws only when promtool cannot run or times out. */
async function promtoolCheckMetrics(binary, exposition, timeoutMs = 30_000) {
    const r = await run(binary, ['check', 'metrics'], { input: exposition, timeoutMs, allowFailure: true });
    if (r.code === 0)
        return { exitCode: 0, problems: [] };
    if (r.code === 3)
        return { exitCode: 3, problems: parseLintOutput(r.stderr) };
    return { exitCode: r.code, problems: [], parseError: r.stderr.trim().split('\n')[0] || `exit code ${r.code}` };
}

;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");
;// CONCATENATED MODULE: ./core/src/adapters/free-port.ts

/** Asks the kernel for a free TCP port on 127.0.0.1 (bind to port 0, read it, close). */
function freePort() {
    return new Promise((resolve, reject) => {
        const server = (0,external_node_net_namespaceObject.createServer)();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            const port = typeof address === 'object' && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

// EXTERNAL MODULE: ./core/src/domain/verify-metrics-config.ts
var verify_metrics_config = __nccwpck_require__(684);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __nccwpck_require__(598);
;// CONCATENATED MODULE: external "node:fs/promises"
const external_node_fs_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: ./core/src/adapters/atomic-file.ts



/**
 * Writes `content` to `path` atomically: a uniquely named temp file beside it (created with
 * `wx`, so it never reuses another writer's file), then `rename` over the target, which POSIX
 * makes atomic within a directory. Readers see the old file or the new one, never half of one;
 * on failure the temp file is removed and the target is untouched. Creates the directory.
 * `mode` applies from creation (0600 for keys: never readable by others, even briefly).
 */
async function writeFileAtomic(path, content, mode = 0o644) {
    await (0,external_node_fs_promises_namespaceObject.mkdir)((0,external_node_path_namespaceObject.dirname)(path), { recursive: true });
    const tmp = (0,external_node_path_namespaceObject.join)((0,external_node_path_namespaceObject.dirname)(path), `.${(0,external_node_path_namespaceObject.basename)(path)}.trunkline-${(0,external_node_crypto_.randomUUID)()}.tmp`);
    try {
        await (0,external_node_fs_promises_namespaceObject.writeFile)(tmp, content, { mode, flag: 'wx' });
        await (0,external_node_fs_promises_namespaceObject.rename)(tmp, path);
    }
    catch (error) {
        await (0,external_node_fs_promises_namespaceObject.unlink)(tmp).catch(() => undefined);
        throw error;
    }
}

// EXTERNAL MODULE: ./core/src/report/render.ts
var render = __nccwpck_require__(946);
// EXTERNAL MODULE: ./core/src/report/result.ts
var report_result = __nccwpck_require__(183);
;// CONCATENATED MODULE: ./core/src/domain/response-excerpt.ts

/** How much of a response body a failure message quotes: enough for an error page or a stack trace. */
const EXCERPT_BYTES = 2048;
/**
 * The start of a response body for a failure message: up to `maxBytes` bytes as UTF-8 (a cut
 * character becomes U+FFFD), then `… (N bytes in all)` when there was more; `(empty body)` for none.
 */
function bodyExcerpt(body, maxBytes = EXCERPT_BYTES) {
    if (body.length === 0)
        return '(empty body)';
    const text = body.subarray(0, maxBytes).toString('utf8').trimEnd();
    return body.length > maxBytes ? `${text}\n… (${body.length} bytes in all)` : text;
}
/**
 * What a failed request returned, for a message: `GET <url without credentials> returned
 * <status><hint>` and, on the following lines, the body excerpt.
 */
function describeResponse(url, status, body, hint = '') {
    return `GET ${(0,url_credentials/* redactUrl */.B)(url)} returned ${status}${hint}\n${bodyExcerpt(body)}`;
}

;// CONCATENATED MODULE: ./core/src/stages/verify-metrics.ts
















/** Waiting on the container counts as external time (see report/external-time.ts), not stage overhead. */
const sleep = (ms) => external(() => (0,promises_namespaceObject.setTimeout)(ms));

const STAGE = 'verify-metrics';
const PREFIX = 'verify-metrics:';
/** E01–E14 and `container-unhealthy` (docs/errors.md): the stage ran and the service (or the machine) failed a check. */
class MetricsCheckError extends Error {
    code;
    constructor(code, message) {
        super(`${PREFIX} ${message}`);
        this.name = 'MetricsCheckError';
        this.code = code;
    }
}
/** Does `status` match `pattern` (`200` exactly or a class such as `2xx`)? */
function statusMatches(status, pattern) {
    return pattern.endsWith('xx') ? String(status)[0] === pattern[0] && status >= 100 && status < 600 : String(status) === pattern;
}
/**
 * Checks a scrape's Content-Type (E07): `text/plain` (version absent, 0.0.4 or 1.0.0)
 * is the text format; `application/openmetrics-text` is OpenMetrics. Returns the format or undefined.
 */
function expositionFormatOf(contentType) {
    if (!contentType)
        return undefined;
    const [media, ...params] = contentType.split(';').map((p) => p.trim().toLowerCase());
    const version = params.find((p) => p.startsWith('version='))?.slice('version='.length).replace(/"/g, '');
    if (media === 'text/plain' && (version === undefined || version === '0.0.4' || version === '1.0.0'))
        return 'text';
    if (media === 'application/openmetrics-text')
        return 'openmetrics';
    return undefined;
}
const truncate = (text, max) => (text.length > max ? `${text.slice(0, max)}…` : text);
/**
 * Runs the stage; never throws. Bad config → a `failed` result with the E15 message before any
 * side effect. Every other failure is a `failed` result whose `error` is the check's message
 * (E01–E14, `container-unhealthy`; docs/errors.md), with the outputs known so far. Credentials in
 * `baseUrl` are registered with `log.secret` and removed from every URL a message shows. A
 * container, once started, is removed in `finally` (unless `keepContainer`).
 */
async function runVerifyMetrics(cfg, log) {
    const outputs = {};
    const notes = [];
    const findings = [];
    let expectations = [];
    const result = await (0,report_result/* runStage */.Si)(STAGE, async () => {
        for (const secret of (0,url_credentials/* urlCredentials */.O)(cfg.baseUrl ?? ''))
            log.secret(secret);
        expectations = (0,verify_metrics_config/* validateVerifyMetricsConfig */.b7)(cfg);
        const error = await check(cfg, expectations, log, outputs, notes, findings);
        // No log.error here: the door reports `error` once (an ::error:: annotation via setFailed, or the CLI table).
        if (error && !findings.length)
            findings.push({ id: error.code, message: error.message.split('\n')[0], severity: 'error' });
        return { status: error ? 'failed' : 'passed', outputs, findings, notes, ...(error ? { error: error.message } : {}) };
    }, { failedOutputs: () => outputs, onError: (failed) => { failed.notes = notes; failed.findings = findings; } });
    result.summaryMarkdown = verifyMetricsMarkdown(result, expectations.map((e) => e.source));
    return result;
}
/** The checks in order; resolves with the failed check (or undefined). Removes the container it started. */
async function check(cfg, expectations, log, outputs, notes, findings) {
    let containerId;
    try {
        const target = cfg.baseUrl
            ? { baseUrl: cfg.baseUrl.replace(/\/+$/, '') }
            : await startTarget(cfg, log, outputs, (id) => { containerId = id; });
        const readyMs = await waitForReadiness(cfg, target, log);
        outputs['ready-ms'] = readyMs;
        log.info(`ready after ${readyMs} ms (${(0,url_credentials/* redactUrl */.B)(`${target.baseUrl}${cfg.readinessPath}`)})`);
        await sendProbes(cfg, target, log);
        const scrape = await scrapeUntil(cfg, target, expectations, log, (r) => { outputs.results = r; });
        outputs['series-count'] = scrape.exposition.samples.length;
        outputs['metrics-file'] = await saveScrape(cfg, scrape.text, containerId);
        let firstFailure;
        for (const r of scrape.results) {
            if (r.pass)
                continue;
            const failure = failureMessage(r, expectations, scrape.exposition);
            findings.push({ id: r.expectation, message: failure.message, severity: 'error' });
            firstFailure ??= failure;
        }
        if (firstFailure)
            throw firstFailure;
        const count = scrape.exposition.samples.length;
        if (count > cfg.maxSeries)
            throw new MetricsCheckError('E12', `${count} series exceed max-series ${cfg.maxSeries}`);
        // The shutdown check needs nothing from the lint: SIGTERM goes out while promtool reads the scrape.
        const stopping = containerId && cfg.checkShutdown ? stopContainer(containerId, cfg.shutdownTimeoutSeconds) : undefined;
        stopping?.catch(() => { });
        outputs['lint-problems'] = await lint(cfg, scrape, log, notes, findings);
        if (stopping) {
            const stop = await stopping;
            outputs['shutdown-ms'] = stop.durationMs;
            if (stop.exitCode !== undefined)
                outputs['shutdown-exit-code'] = stop.exitCode;
            log.info(`docker stop took ${stop.durationMs} ms, exit code ${stop.exitCode ?? 'unknown'}`);
            if (stop.exitCode !== 0) {
                throw new MetricsCheckError('E14', `container did not stop cleanly after SIGTERM: exit code ${stop.exitCode ?? 'unknown'} after ${stop.durationMs} ms`);
            }
        }
        else if (containerId) {
            notes.push('shutdown check skipped (check-shutdown: false)');
        }
        return undefined;
    }
    catch (caught) {
        if (!(caught instanceof MetricsCheckError))
            throw caught;
        return caught;
    }
    finally {
        if (containerId)
            await cleanup(cfg, containerId, log, notes);
    }
}
async function startTarget(cfg, log, outputs, started) {
    try {
        log.info(`docker ${await dockerServerVersion()}`);
    }
    catch (e) {
        throw new MetricsCheckError('E01', `docker is not available: ${e.firstLine ?? e.message}`);
    }
    const { runId, containerName: name } = cfg;
    const hostMode = cfg.network === 'host';
    const hostPort = hostMode ? await freePort() : undefined;
    const env = hostPort === undefined ? cfg.env : { ...cfg.env, PORT: String(hostPort) };
    let id;
    try {
        id = await startContainer({
            image: cfg.image, name, labels: { [VERIFY_METRICS_LABEL]: runId }, env, network: cfg.network,
            publishPort: cfg.port, extraArgs: cfg.dockerArgs,
        }, cfg.startTimeoutMs);
    }
    catch (e) {
        // A failed `docker run` can still leave a created container behind under our name.
        await removeContainer(name);
        throw new MetricsCheckError('E02', `failed to start container from ${cfg.image}: ${e.firstLine ?? e.message}`);
    }
    started(id);
    outputs['container-id'] = id;
    log.info(`started ${name} (${id.slice(0, 12)}) from ${cfg.image}, network ${cfg.network}`);
    let port = hostPort;
    if (port === undefined) {
        try {
            port = await publishedPort(id, cfg.port);
        }
        catch {
            // No port means the container already died or never exposed it: let readiness say which.
            const state = await containerState(id);
            if (state && !state.running)
                throw await exitedEarly(cfg, id, state.exitCode, 0);
            throw new MetricsCheckError('E02', `failed to start container from ${cfg.image}: port ${cfg.port}/tcp was not published`);
        }
    }
    outputs['host-port'] = port;
    return { baseUrl: `http://127.0.0.1:${port}`, containerId: id };
}
async function exitedEarly(cfg, id, exitCode, elapsedMs) {
    const logs = await containerLogs(id, cfg.logLines);
    return new MetricsCheckError('E03', `container exited with code ${exitCode} before becoming ready (after ${elapsedMs} ms)${logs ? `\n${logs}` : ''}`);
}
const errorCode = (e) => (e instanceof HttpProbeError ? e.code : e.message);
/** `container-unhealthy`: docker's HEALTHCHECK verdict with the last check's exit code and output. */
function unhealthy(state, elapsedMs) {
    const last = state.lastHealthCheck;
    const detail = last ? `last health check exited ${last.exitCode}: ${truncate(last.output.trim(), 2048) || '(no output)'}` : 'no health check output';
    return new MetricsCheckError('container-unhealthy', `container became unhealthy before becoming ready (after ${elapsedMs} ms); ${detail}`);
}
/** Polls readiness (every 25 ms at first, backing off to 250 ms; 1 s per request) and the container state; returns ms until 200. */
async function waitForReadiness(cfg, target, log) {
    const start = performance.now();
    const deadline = start + cfg.readinessTimeoutMs;
    const url = `${target.baseUrl}${cfg.readinessPath}`;
    let attempt = 0;
    for (;;) {
        let last;
        if (target.containerId) {
            const state = await containerState(target.containerId);
            if (!state || !state.running) {
                throw await exitedEarly(cfg, target.containerId, state?.exitCode ?? -1, Math.round(performance.now() - start));
            }
            // Docker's own HEALTHCHECK already gave up: waiting out the readiness timeout cannot help.
            if (state.health === 'unhealthy')
                throw unhealthy(state, Math.round(performance.now() - start));
        }
        const remaining = deadline - performance.now();
        try {
            const r = await httpGet(url, { timeoutMs: Math.max(50, Math.min(1000, remaining)) });
            if (r.status === 200)
                return Math.round(performance.now() - start);
            last = String(r.status);
        }
        catch (e) {
            last = errorCode(e);
        }
        if (performance.now() >= deadline) {
            const logs = target.containerId ? await containerLogs(target.containerId, cfg.logLines) : '';
            throw new MetricsCheckError('E04', `readiness timeout: GET ${cfg.readinessPath} did not return 200 within ${cfg.readinessTimeoutMs / 1000}s (last: ${last})${logs ? `\n${logs}` : ''}`);
        }
        log.debug(`not ready yet: GET ${cfg.readinessPath} → ${last}`);
        // 25 ms, doubling to 250 ms: a Node service is usually ready within a few hundred ms.
        await sleep(Math.max(0, Math.min(Math.min(250, 25 * 2 ** attempt++), deadline - performance.now())));
    }
}
async function sendProbes(cfg, target, log) {
    const url = `${target.baseUrl}${cfg.probePath}`;
    for (let i = 1; i <= cfg.probeCount; i++) {
        let got;
        try {
            const r = await httpGet(url, { timeoutMs: 2000 });
            if (statusMatches(r.status, cfg.probeExpectStatus))
                continue;
            got = describeResponse(url, r.status, r.body);
        }
        catch (e) {
            got = `GET ${(0,url_credentials/* redactUrl */.B)(url)} failed: ${errorCode(e)}`;
        }
        throw new MetricsCheckError('E05', `probe ${i}/${cfg.probeCount} expected ${cfg.probeExpectStatus}: ${got}`);
    }
    if (cfg.probeCount)
        log.info(`${cfg.probeCount} probe(s) GET ${cfg.probePath} returned ${cfg.probeExpectStatus}`);
}
/**
 * Scrapes every 500 ms until every expectation holds or `expectTimeoutMs` passes (the server may
 * record a request only after the response finished: docs/verify-metrics.md, "Lifecycle"). A bad status, Content-Type or
 * exposition fails at once: retrying cannot fix it. Returns the last scrape; `onResults` sees
 * every evaluation, so a failure on a later scrape still reports the results of the one before.
 */
async function scrapeUntil(cfg, target, expectations, log, onResults) {
    const deadline = performance.now() + cfg.expectTimeoutMs;
    const url = `${target.baseUrl}${cfg.metricsPath}`;
    let attempt = 0;
    for (;;) {
        attempt++;
        let response;
        try {
            response = await httpGet(url, { timeoutMs: 5000, headers: { Accept: 'text/plain;version=0.0.4' } });
        }
        catch (e) {
            if (performance.now() >= deadline)
                throw new MetricsCheckError('E06', `GET ${(0,url_credentials/* redactUrl */.B)(url)} failed: ${errorCode(e)}`);
            log.debug(`scrape ${attempt} failed: ${errorCode(e)}`);
            await sleep(500);
            continue;
        }
        if (response.status !== 200) {
            const hint = response.status === 404 ? ' (is ENABLE_METRICS=true set?)' : '';
            throw new MetricsCheckError('E06', describeResponse(url, response.status, response.body, hint));
        }
        const contentType = String(response.headers['content-type'] ?? '');
        const format = expositionFormatOf(contentType);
        if (!format) {
            const got = describeResponse(url, response.status, response.body);
            throw new MetricsCheckError('E07', `unexpected Content-Type "${contentType}" for ${cfg.metricsPath} (expected text/plain; version=0.0.4): ${got}`);
        }
        let text;
        let exposition;
        try {
            text = (0,domain_exposition/* decodeExposition */.zv)(response.body);
            exposition = (0,domain_exposition/* parseExposition */.gw)(text, { format: format === 'openmetrics' ? 'openmetrics' : 'auto' });
        }
        catch (e) {
            if (!(e instanceof domain_exposition/* ExpositionError */.zi))
                throw e;
            if (e.kind === 'duplicate')
                throw new MetricsCheckError('E09', `duplicate series at line ${e.line}: ${e.reason.replace(/^duplicate series /, '')}`);
            throw new MetricsCheckError('E08', `exposition parse error at line ${e.line} of GET ${(0,url_credentials/* redactUrl */.B)(url)}: ${e.reason}: ${truncate(e.text, 120)}`);
        }
        const results = (0,domain_expectations/* evaluateAll */.RC)(expectations, exposition);
        onResults(results);
        const failing = results.filter((r) => !r.pass).length;
        if (failing === 0 || performance.now() >= deadline) {
            log.info(`scrape ${attempt}: ${exposition.samples.length} series, ${results.length - failing}/${results.length} expectation(s) hold`);
            return { text, exposition, results };
        }
        log.debug(`scrape ${attempt}: ${failing} expectation(s) do not hold yet`);
        await sleep(Math.max(0, Math.min(500, deadline - performance.now())));
    }
}
/** E10 (nothing matched) or E11 (matched, but the value or an absence check failed). */
function failureMessage(r, expectations, exposition) {
    const e = expectations.find((x) => x.source === r.expectation);
    if (!e.absent && r.matched === 0) {
        const present = (0,domain_expectations/* presentSeries */.vb)(e.metric, exposition.samples, 5);
        const detail = present.length ? `present ${e.metric} series: ${present.join('; ')}` : `metric ${e.metric} is absent`;
        return new MetricsCheckError('E10', `expected series not found: ${r.expectation}; ${detail}`);
    }
    if (e.absent) {
        const found = (0,domain_expectations/* matchingSeries */.Xe)(e, exposition.samples, 5);
        const more = r.matched > found.length ? `; and ${r.matched - found.length} more` : '';
        return new MetricsCheckError('E11', `expectation failed: ${r.expectation}: expected no series, found ${r.matched}: ${found.join('; ')}${more}`);
    }
    const value = r.value === null ? 'nothing' : typeof r.value === 'number' ? (0,domain_exposition/* formatValue */.Fl)(r.value) : r.value;
    return new MetricsCheckError('E11', `expectation failed: ${r.expectation} (observed ${value} over ${r.matched} series)`);
}
async function saveScrape(cfg, text, containerId) {
    const dir = cfg.outputDir ?? (0,external_node_os_namespaceObject.tmpdir)();
    const file = (0,external_node_path_namespaceObject.join)(dir, `verify-metrics-${containerId?.slice(0, 12) ?? `${process.pid}-${Date.now()}`}.prom`);
    await writeFileAtomic(file, text);
    return file;
}
/** promtool lint of the final scrape (docs/verify-metrics.md, "Lifecycle", step 6); returns the number of problems outside `lintIgnore`. */
async function lint(cfg, scrape, log, notes, findings) {
    if (cfg.lint === 'off')
        return undefined;
    if (scrape.exposition.format === 'openmetrics') {
        notes.push('lint skipped: promtool check metrics reads only the text format 0.0.4 and the scrape is OpenMetrics');
        return undefined;
    }
    const binary = await findPromtool(cfg.promtoolPath);
    if (!binary) {
        if (cfg.lint === 'error')
            throw new MetricsCheckError('E13', 'promtool lint: promtool not found');
        const note = `lint skipped: promtool not found${cfg.promtoolPath ? ` at ${cfg.promtoolPath}` : ' on PATH'} (Debian/Ubuntu package "prometheus")`;
        notes.push(note);
        log.info(note);
        return undefined;
    }
    const result = await promtoolCheckMetrics(binary, scrape.text);
    if (result.parseError) {
        // Our parser accepted what promtool rejects: only possible for inputs it cannot judge.
        notes.push(`promtool could not parse the scrape: ${result.parseError}`);
        log.warning(`promtool could not parse the scrape: ${result.parseError}`);
        return undefined;
    }
    const ignore = new Set(cfg.lintIgnore);
    const outside = result.problems.filter((p) => !ignore.has(p.metric));
    const ignored = result.problems.length - outside.length;
    if (ignored)
        notes.push(`${ignored} promtool problem(s) tolerated by lint-ignore`);
    if (outside.length === 0) {
        log.info(`promtool check metrics: ${ignored ? `${ignored} ignored problem(s)` : 'clean'}`);
        return 0;
    }
    const list = outside.map((p) => `${p.metric} ${p.problem}`);
    if (cfg.lint === 'error') {
        throw new MetricsCheckError('E13', `promtool lint: ${outside.length} problem(s) outside lint-ignore: ${list.join('; ')}`);
    }
    for (const line of list) {
        log.warning(`promtool: ${line}`);
        findings.push({ id: 'promtool', message: line, severity: 'warning' });
    }
    return outside.length;
}
/** Prints the container's logs in a collapsed group, then removes it (unless `keepContainer`). */
async function cleanup(cfg, id, log, notes) {
    try {
        const logs = await containerLogs(id, cfg.logLines);
        await log.group(`container logs (last ${cfg.logLines} lines)`, async () => { log.info(logs || '(no output)'); });
    }
    catch (e) {
        log.warning(`could not read container logs: ${e.message}`);
    }
    if (cfg.keepContainer) {
        notes.push(`container ${id.slice(0, 12)} kept (keep-container: true); remove it with docker rm -f ${id.slice(0, 12)}`);
        return;
    }
    if (!(await removeContainer(id)))
        log.warning(`could not remove container ${id.slice(0, 12)}; the post step will retry`);
}
/**
 * Job summary through the one renderer: the common header with the error's first line, then a row
 * per expectation with its observed value (or "not evaluated" when the run failed before a scrape
 * could be read), the full error (logs, body excerpt) collapsed, and the outputs.
 */
function verifyMetricsMarkdown(result, expectations) {
    const results = result.outputs.results ?? [];
    const rows = results.length
        ? results.map((r) => [`\`${r.expectation}\``, String(r.matched), r.value === null ? '—' : String(r.value), r.pass ? '✅ pass' : '❌ fail'])
        : expectations.map((e) => [`\`${e}\``, '—', '—', 'not evaluated']);
    const shown = Object.entries(result.outputs).filter(([k, v]) => v !== undefined && k !== 'results');
    const [headline, ...detail] = (result.error ?? '').split('\n');
    // A fence longer than any backtick run in the text, so a quoted body cannot close it.
    const fence = '`'.repeat(Math.max(3, ...[...(result.error ?? '').matchAll(/`+/g)].map((m) => m[0].length + 1)));
    const sections = [
        { body: rows.length ? (0,render/* markdownTable */.Qj)([['Expectation', 'Matched series', 'Observed value', 'Result'], ...rows]) : '' },
        { heading: 'Error details', collapsed: true, body: detail.length ? `${fence}text\n${result.error}\n${fence}` : '' },
        { body: shown.length ? (0,render/* markdownTable */.Qj)([['Output', 'Value'], ...shown.map(([k, v]) => [k, `\`${(0,render/* outputToString */.yK)(v)}\``])]) : '' },
    ];
    return (0,render/* stageMarkdown */.cV)({ ...result, ...(result.error ? { error: headline } : {}) }, sections);
}


/***/ }),

/***/ 598:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");

/***/ }),

/***/ 473:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Yz: () => (/* binding */ core_debug),
  z3: () => (/* binding */ error),
  Os: () => (/* binding */ group),
  pq: () => (/* binding */ info),
  lm: () => (/* binding */ notice),
  LZ: () => (/* binding */ saveState),
  C1: () => (/* binding */ setFailed),
  uH: () => (/* binding */ setOutput),
  Pq: () => (/* binding */ core_setSecret),
  z: () => (/* reexport */ summary),
  $e: () => (/* binding */ warning)
});

// UNUSED EXPORTS: ExitCode, addPath, endGroup, exportVariable, getBooleanInput, getIDToken, getInput, getMultilineInput, getState, isDebug, markdownSummary, platform, setCommandEcho, startGroup, toPlatformPath, toPosixPath, toWin32Path

;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function utils_toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function command_issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_namespaceObject.EOL);
}
function command_issue(name, message = '') {
    command_issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
;// CONCATENATED MODULE: external "crypto"
const external_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function file_command_issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_namespaceObject.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_namespaceObject.appendFileSync(filePath, `${utils_toCommandValue(message)}${external_os_namespaceObject.EOL}`, {
        encoding: 'utf8'
    });
}
function file_command_prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_namespaceObject.randomUUID()}`;
    const convertedValue = utils_toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_namespaceObject.EOL}${convertedValue}${external_os_namespaceObject.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");
;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/auth.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
class BasicCredentialHandler {
    constructor(username, password) {
        this.username = username;
        this.password = password;
    }
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class auth_BearerCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Bearer ${this.token}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class PersonalAccessTokenCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`PAT:${this.token}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
//# sourceMappingURL=auth.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/oidc-utils.js
var oidc_utils_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



class oidc_utils_OidcClient {
    static createHttpClient(allowRetry = true, maxRetry = 10) {
        const requestOptions = {
            allowRetries: allowRetry,
            maxRetries: maxRetry
        };
        return new HttpClient('actions/oidc-client', [new BearerCredentialHandler(oidc_utils_OidcClient.getRequestToken())], requestOptions);
    }
    static getRequestToken() {
        const token = process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
        if (!token) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable');
        }
        return token;
    }
    static getIDTokenUrl() {
        const runtimeUrl = process.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
        if (!runtimeUrl) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        }
        return runtimeUrl;
    }
    static getCall(id_token_url) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            var _a;
            const httpclient = oidc_utils_OidcClient.createHttpClient();
            const res = yield httpclient
                .getJson(id_token_url)
                .catch(error => {
                throw new Error(`Failed to get ID Token. \n 
        Error Code : ${error.statusCode}\n 
        Error Message: ${error.message}`);
            });
            const id_token = (_a = res.result) === null || _a === void 0 ? void 0 : _a.value;
            if (!id_token) {
                throw new Error('Response json body do not have ID Token field');
            }
            return id_token;
        });
    }
    static getIDToken(audience) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            try {
                // New ID Token is requested from action service
                let id_token_url = oidc_utils_OidcClient.getIDTokenUrl();
                if (audience) {
                    const encodedAudience = encodeURIComponent(audience);
                    id_token_url = `${id_token_url}&audience=${encodedAudience}`;
                }
                debug(`ID token url is ${id_token_url}`);
                const id_token = yield oidc_utils_OidcClient.getCall(id_token_url);
                setSecret(id_token);
                return id_token;
            }
            catch (error) {
                throw new Error(`Error message: ${error.message}`);
            }
        });
    }
}
//# sourceMappingURL=oidc-utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/summary.js
var summary_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_namespaceObject.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return summary_awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_namespaceObject.constants.R_OK | external_fs_namespaceObject.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return summary_awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return summary_awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_namespaceObject.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = (/* unused pure expression or super */ null && (_summary));
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, path.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: external "string_decoder"
const external_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");
;// CONCATENATED MODULE: external "events"
const external_events_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");
;// CONCATENATED MODULE: external "child_process"
const external_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");
;// CONCATENATED MODULE: external "assert"
const external_assert_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io-util.js
var io_util_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { chmod, copyFile, lstat, mkdir, open: io_util_open, readdir, rename, rm, rmdir, stat, symlink, unlink } = external_fs_namespaceObject.promises;
// export const {open} = 'fs'
const IS_WINDOWS = process.platform === 'win32';
/**
 * Custom implementation of readlink to ensure Windows junctions
 * maintain trailing backslash for backward compatibility with Node.js < 24
 *
 * In Node.js 20, Windows junctions (directory symlinks) always returned paths
 * with trailing backslashes. Node.js 24 removed this behavior, which breaks
 * code that relied on this format for path operations.
 *
 * This implementation restores the Node 20 behavior by adding a trailing
 * backslash to all junction results on Windows.
 */
function readlink(fsPath) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        const result = yield fs.promises.readlink(fsPath);
        // On Windows, restore Node 20 behavior: add trailing backslash to all results
        // since junctions on Windows are always directory links
        if (IS_WINDOWS && !result.endsWith('\\')) {
            return `${result}\\`;
        }
        return result;
    });
}
// See https://github.com/nodejs/node/blob/d0153aee367422d0858105abec186da4dff0a0c5/deps/uv/include/uv/win.h#L691
const UV_FS_O_EXLOCK = 0x10000000;
const READONLY = external_fs_namespaceObject.constants.O_RDONLY;
function exists(fsPath) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        try {
            yield stat(fsPath);
        }
        catch (err) {
            if (err.code === 'ENOENT') {
                return false;
            }
            throw err;
        }
        return true;
    });
}
function isDirectory(fsPath_1) {
    return io_util_awaiter(this, arguments, void 0, function* (fsPath, useStat = false) {
        const stats = useStat ? yield stat(fsPath) : yield lstat(fsPath);
        return stats.isDirectory();
    });
}
/**
 * On OSX/Linux, true if path starts with '/'. On Windows, true for paths like:
 * \, \hello, \\hello\share, C:, and C:\hello (and corresponding alternate separator cases).
 */
function isRooted(p) {
    p = normalizeSeparators(p);
    if (!p) {
        throw new Error('isRooted() parameter "p" cannot be empty');
    }
    if (IS_WINDOWS) {
        return (p.startsWith('\\') || /^[A-Z]:/i.test(p) // e.g. \ or \hello or \\hello
        ); // e.g. C: or C:\hello
    }
    return p.startsWith('/');
}
/**
 * Best effort attempt to determine whether a file exists and is executable.
 * @param filePath    file path to check
 * @param extensions  additional file extensions to try
 * @return if file exists and is executable, returns the file path. otherwise empty string.
 */
function tryGetExecutablePath(filePath, extensions) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        let stats = undefined;
        try {
            // test file exists
            stats = yield stat(filePath);
        }
        catch (err) {
            if (err.code !== 'ENOENT') {
                // eslint-disable-next-line no-console
                console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
            }
        }
        if (stats && stats.isFile()) {
            if (IS_WINDOWS) {
                // on Windows, test for valid extension
                const upperExt = external_path_namespaceObject.extname(filePath).toUpperCase();
                if (extensions.some(validExt => validExt.toUpperCase() === upperExt)) {
                    return filePath;
                }
            }
            else {
                if (isUnixExecutable(stats)) {
                    return filePath;
                }
            }
        }
        // try each extension
        const originalFilePath = filePath;
        for (const extension of extensions) {
            filePath = originalFilePath + extension;
            stats = undefined;
            try {
                stats = yield stat(filePath);
            }
            catch (err) {
                if (err.code !== 'ENOENT') {
                    // eslint-disable-next-line no-console
                    console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
                }
            }
            if (stats && stats.isFile()) {
                if (IS_WINDOWS) {
                    // preserve the case of the actual file (since an extension was appended)
                    try {
                        const directory = external_path_namespaceObject.dirname(filePath);
                        const upperName = external_path_namespaceObject.basename(filePath).toUpperCase();
                        for (const actualName of yield readdir(directory)) {
                            if (upperName === actualName.toUpperCase()) {
                                filePath = external_path_namespaceObject.join(directory, actualName);
                                break;
                            }
                        }
                    }
                    catch (err) {
                        // eslint-disable-next-line no-console
                        console.log(`Unexpected error attempting to determine the actual case of the file '${filePath}': ${err}`);
                    }
                    return filePath;
                }
                else {
                    if (isUnixExecutable(stats)) {
                        return filePath;
                    }
                }
            }
        }
        return '';
    });
}
function normalizeSeparators(p) {
    p = p || '';
    if (IS_WINDOWS) {
        // convert slashes on Windows
        p = p.replace(/\//g, '\\');
        // remove redundant slashes
        return p.replace(/\\\\+/g, '\\');
    }
    // remove redundant slashes
    return p.replace(/\/\/+/g, '/');
}
// on Mac/Linux, test the execute bit
//     R   W  X  R  W X R W X
//   256 128 64 32 16 8 4 2 1
function isUnixExecutable(stats) {
    return ((stats.mode & 1) > 0 ||
        ((stats.mode & 8) > 0 &&
            process.getgid !== undefined &&
            stats.gid === process.getgid()) ||
        ((stats.mode & 64) > 0 &&
            process.getuid !== undefined &&
            stats.uid === process.getuid()));
}
// Get the path of cmd.exe in windows
function getCmdPath() {
    var _a;
    return (_a = process.env['COMSPEC']) !== null && _a !== void 0 ? _a : `cmd.exe`;
}
//# sourceMappingURL=io-util.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io.js
var io_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



/**
 * Copies a file or folder.
 * Based off of shelljs - https://github.com/shelljs/shelljs/blob/9237f66c52e5daa40458f94f9565e18e8132f5a6/src/cp.js
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See CopyOptions.
 */
function cp(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        const { force, recursive, copySourceDirectory } = readCopyOptions(options);
        const destStat = (yield ioUtil.exists(dest)) ? yield ioUtil.stat(dest) : null;
        // Dest is an existing file, but not forcing
        if (destStat && destStat.isFile() && !force) {
            return;
        }
        // If dest is an existing directory, should copy inside.
        const newDest = destStat && destStat.isDirectory() && copySourceDirectory
            ? path.join(dest, path.basename(source))
            : dest;
        if (!(yield ioUtil.exists(source))) {
            throw new Error(`no such file or directory: ${source}`);
        }
        const sourceStat = yield ioUtil.stat(source);
        if (sourceStat.isDirectory()) {
            if (!recursive) {
                throw new Error(`Failed to copy. ${source} is a directory, but tried to copy without recursive flag.`);
            }
            else {
                yield cpDirRecursive(source, newDest, 0, force);
            }
        }
        else {
            if (path.relative(source, newDest) === '') {
                // a file cannot be copied to itself
                throw new Error(`'${newDest}' and '${source}' are the same file`);
            }
            yield io_copyFile(source, newDest, force);
        }
    });
}
/**
 * Moves a path.
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See MoveOptions.
 */
function mv(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        if (yield ioUtil.exists(dest)) {
            let destExists = true;
            if (yield ioUtil.isDirectory(dest)) {
                // If dest is directory copy src into dest
                dest = path.join(dest, path.basename(source));
                destExists = yield ioUtil.exists(dest);
            }
            if (destExists) {
                if (options.force == null || options.force) {
                    yield rmRF(dest);
                }
                else {
                    throw new Error('Destination already exists');
                }
            }
        }
        yield mkdirP(path.dirname(dest));
        yield ioUtil.rename(source, dest);
    });
}
/**
 * Remove a path recursively with force
 *
 * @param inputPath path to remove
 */
function rmRF(inputPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (ioUtil.IS_WINDOWS) {
            // Check for invalid characters
            // https://docs.microsoft.com/en-us/windows/win32/fileio/naming-a-file
            if (/[*"<>|]/.test(inputPath)) {
                throw new Error('File path must not contain `*`, `"`, `<`, `>` or `|` on Windows');
            }
        }
        try {
            // note if path does not exist, error is silent
            yield ioUtil.rm(inputPath, {
                force: true,
                maxRetries: 3,
                recursive: true,
                retryDelay: 300
            });
        }
        catch (err) {
            throw new Error(`File was unable to be removed ${err}`);
        }
    });
}
/**
 * Make a directory.  Creates the full path with folders in between
 * Will throw if it fails
 *
 * @param   fsPath        path to create
 * @returns Promise<void>
 */
function mkdirP(fsPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        ok(fsPath, 'a path argument must be provided');
        yield ioUtil.mkdir(fsPath, { recursive: true });
    });
}
/**
 * Returns path of a tool had the tool actually been invoked.  Resolves via paths.
 * If you check and the tool does not exist, it will throw.
 *
 * @param     tool              name of the tool
 * @param     check             whether to check if tool exists
 * @returns   Promise<string>   path to tool
 */
function which(tool, check) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // recursive when check=true
        if (check) {
            const result = yield which(tool, false);
            if (!result) {
                if (IS_WINDOWS) {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also verify the file has a valid extension for an executable file.`);
                }
                else {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also check the file mode to verify the file is executable.`);
                }
            }
            return result;
        }
        const matches = yield findInPath(tool);
        if (matches && matches.length > 0) {
            return matches[0];
        }
        return '';
    });
}
/**
 * Returns a list of all occurrences of the given tool on the system path.
 *
 * @returns   Promise<string[]>  the paths of the tool
 */
function findInPath(tool) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // build the list of extensions to try
        const extensions = [];
        if (IS_WINDOWS && process.env['PATHEXT']) {
            for (const extension of process.env['PATHEXT'].split(external_path_namespaceObject.delimiter)) {
                if (extension) {
                    extensions.push(extension);
                }
            }
        }
        // if it's rooted, return it if exists. otherwise return empty.
        if (isRooted(tool)) {
            const filePath = yield tryGetExecutablePath(tool, extensions);
            if (filePath) {
                return [filePath];
            }
            return [];
        }
        // if any path separators, return empty
        if (tool.includes(external_path_namespaceObject.sep)) {
            return [];
        }
        // build the list of directories
        //
        // Note, technically "where" checks the current directory on Windows. From a toolkit perspective,
        // it feels like we should not do this. Checking the current directory seems like more of a use
        // case of a shell, and the which() function exposed by the toolkit should strive for consistency
        // across platforms.
        const directories = [];
        if (process.env.PATH) {
            for (const p of process.env.PATH.split(external_path_namespaceObject.delimiter)) {
                if (p) {
                    directories.push(p);
                }
            }
        }
        // find all matches
        const matches = [];
        for (const directory of directories) {
            const filePath = yield tryGetExecutablePath(external_path_namespaceObject.join(directory, tool), extensions);
            if (filePath) {
                matches.push(filePath);
            }
        }
        return matches;
    });
}
function readCopyOptions(options) {
    const force = options.force == null ? true : options.force;
    const recursive = Boolean(options.recursive);
    const copySourceDirectory = options.copySourceDirectory == null
        ? true
        : Boolean(options.copySourceDirectory);
    return { force, recursive, copySourceDirectory };
}
function cpDirRecursive(sourceDir, destDir, currentDepth, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        // Ensure there is not a run away recursive copy
        if (currentDepth >= 255)
            return;
        currentDepth++;
        yield mkdirP(destDir);
        const files = yield ioUtil.readdir(sourceDir);
        for (const fileName of files) {
            const srcFile = `${sourceDir}/${fileName}`;
            const destFile = `${destDir}/${fileName}`;
            const srcFileStat = yield ioUtil.lstat(srcFile);
            if (srcFileStat.isDirectory()) {
                // Recurse
                yield cpDirRecursive(srcFile, destFile, currentDepth, force);
            }
            else {
                yield io_copyFile(srcFile, destFile, force);
            }
        }
        // Change the mode for the newly created directory
        yield ioUtil.chmod(destDir, (yield ioUtil.stat(sourceDir)).mode);
    });
}
// Buffered file copy
function io_copyFile(srcFile, destFile, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        if ((yield ioUtil.lstat(srcFile)).isSymbolicLink()) {
            // unlink/re-link it
            try {
                yield ioUtil.lstat(destFile);
                yield ioUtil.unlink(destFile);
            }
            catch (e) {
                // Try to override file permission
                if (e.code === 'EPERM') {
                    yield ioUtil.chmod(destFile, '0666');
                    yield ioUtil.unlink(destFile);
                }
                // other errors = it doesn't exist, no work to do
            }
            // Copy over symlink
            const symlinkFull = yield ioUtil.readlink(srcFile);
            yield ioUtil.symlink(symlinkFull, destFile, ioUtil.IS_WINDOWS ? 'junction' : null);
        }
        else if (!(yield ioUtil.exists(destFile)) || force) {
            yield ioUtil.copyFile(srcFile, destFile);
        }
    });
}
//# sourceMappingURL=io.js.map
;// CONCATENATED MODULE: external "timers"
const external_timers_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/toolrunner.js
var toolrunner_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};







/* eslint-disable @typescript-eslint/unbound-method */
const toolrunner_IS_WINDOWS = process.platform === 'win32';
/*
 * Class for running command line tools. Handles quoting and arg parsing in a platform agnostic way.
 */
class ToolRunner extends external_events_namespaceObject.EventEmitter {
    constructor(toolPath, args, options) {
        super();
        if (!toolPath) {
            throw new Error("Parameter 'toolPath' cannot be null or empty.");
        }
        this.toolPath = toolPath;
        this.args = args || [];
        this.options = options || {};
    }
    _debug(message) {
        if (this.options.listeners && this.options.listeners.debug) {
            this.options.listeners.debug(message);
        }
    }
    _getCommandString(options, noPrefix) {
        const toolPath = this._getSpawnFileName();
        const args = this._getSpawnArgs(options);
        let cmd = noPrefix ? '' : '[command]'; // omit prefix when piped to a second tool
        if (toolrunner_IS_WINDOWS) {
            // Windows + cmd file
            if (this._isCmdFile()) {
                cmd += toolPath;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows + verbatim
            else if (options.windowsVerbatimArguments) {
                cmd += `"${toolPath}"`;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows (regular)
            else {
                cmd += this._windowsQuoteCmdArg(toolPath);
                for (const a of args) {
                    cmd += ` ${this._windowsQuoteCmdArg(a)}`;
                }
            }
        }
        else {
            // OSX/Linux - this can likely be improved with some form of quoting.
            // creating processes on Unix is fundamentally different than Windows.
            // on Unix, execvp() takes an arg array.
            cmd += toolPath;
            for (const a of args) {
                cmd += ` ${a}`;
            }
        }
        return cmd;
    }
    _processLineBuffer(data, strBuffer, onLine) {
        try {
            let s = strBuffer + data.toString();
            let n = s.indexOf(external_os_namespaceObject.EOL);
            while (n > -1) {
                const line = s.substring(0, n);
                onLine(line);
                // the rest of the string ...
                s = s.substring(n + external_os_namespaceObject.EOL.length);
                n = s.indexOf(external_os_namespaceObject.EOL);
            }
            return s;
        }
        catch (err) {
            // streaming lines to console is best effort.  Don't fail a build.
            this._debug(`error processing line. Failed with error ${err}`);
            return '';
        }
    }
    _getSpawnFileName() {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                return process.env['COMSPEC'] || 'cmd.exe';
            }
        }
        return this.toolPath;
    }
    _getSpawnArgs(options) {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                let argline = `/D /S /C "${this._windowsQuoteCmdArg(this.toolPath)}`;
                for (const a of this.args) {
                    argline += ' ';
                    argline += options.windowsVerbatimArguments
                        ? a
                        : this._windowsQuoteCmdArg(a);
                }
                argline += '"';
                return [argline];
            }
        }
        return this.args;
    }
    _endsWith(str, end) {
        return str.endsWith(end);
    }
    _isCmdFile() {
        const upperToolPath = this.toolPath.toUpperCase();
        return (this._endsWith(upperToolPath, '.CMD') ||
            this._endsWith(upperToolPath, '.BAT'));
    }
    _windowsQuoteCmdArg(arg) {
        // for .exe, apply the normal quoting rules that libuv applies
        if (!this._isCmdFile()) {
            return this._uvQuoteCmdArg(arg);
        }
        // otherwise apply quoting rules specific to the cmd.exe command line parser.
        // the libuv rules are generic and are not designed specifically for cmd.exe
        // command line parser.
        //
        // for a detailed description of the cmd.exe command line parser, refer to
        // http://stackoverflow.com/questions/4094699/how-does-the-windows-command-interpreter-cmd-exe-parse-scripts/7970912#7970912
        // need quotes for empty arg
        if (!arg) {
            return '""';
        }
        // determine whether the arg needs to be quoted
        const cmdSpecialChars = [
            ' ',
            '\t',
            '&',
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            '^',
            '=',
            ';',
            '!',
            "'",
            '+',
            ',',
            '`',
            '~',
            '|',
            '<',
            '>',
            '"'
        ];
        let needsQuotes = false;
        for (const char of arg) {
            if (cmdSpecialChars.some(x => x === char)) {
                needsQuotes = true;
                break;
            }
        }
        // short-circuit if quotes not needed
        if (!needsQuotes) {
            return arg;
        }
        // the following quoting rules are very similar to the rules that by libuv applies.
        //
        // 1) wrap the string in quotes
        //
        // 2) double-up quotes - i.e. " => ""
        //
        //    this is different from the libuv quoting rules. libuv replaces " with \", which unfortunately
        //    doesn't work well with a cmd.exe command line.
        //
        //    note, replacing " with "" also works well if the arg is passed to a downstream .NET console app.
        //    for example, the command line:
        //          foo.exe "myarg:""my val"""
        //    is parsed by a .NET console app into an arg array:
        //          [ "myarg:\"my val\"" ]
        //    which is the same end result when applying libuv quoting rules. although the actual
        //    command line from libuv quoting rules would look like:
        //          foo.exe "myarg:\"my val\""
        //
        // 3) double-up slashes that precede a quote,
        //    e.g.  hello \world    => "hello \world"
        //          hello\"world    => "hello\\""world"
        //          hello\\"world   => "hello\\\\""world"
        //          hello world\    => "hello world\\"
        //
        //    technically this is not required for a cmd.exe command line, or the batch argument parser.
        //    the reasons for including this as a .cmd quoting rule are:
        //
        //    a) this is optimized for the scenario where the argument is passed from the .cmd file to an
        //       external program. many programs (e.g. .NET console apps) rely on the slash-doubling rule.
        //
        //    b) it's what we've been doing previously (by deferring to node default behavior) and we
        //       haven't heard any complaints about that aspect.
        //
        // note, a weakness of the quoting rules chosen here, is that % is not escaped. in fact, % cannot be
        // escaped when used on the command line directly - even though within a .cmd file % can be escaped
        // by using %%.
        //
        // the saving grace is, on the command line, %var% is left as-is if var is not defined. this contrasts
        // the line parsing rules within a .cmd file, where if var is not defined it is replaced with nothing.
        //
        // one option that was explored was replacing % with ^% - i.e. %var% => ^%var^%. this hack would
        // often work, since it is unlikely that var^ would exist, and the ^ character is removed when the
        // variable is used. the problem, however, is that ^ is not removed when %* is used to pass the args
        // to an external program.
        //
        // an unexplored potential solution for the % escaping problem, is to create a wrapper .cmd file.
        // % can be escaped within a .cmd file.
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\'; // double the slash
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '"'; // double the quote
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _uvQuoteCmdArg(arg) {
        // Tool runner wraps child_process.spawn() and needs to apply the same quoting as
        // Node in certain cases where the undocumented spawn option windowsVerbatimArguments
        // is used.
        //
        // Since this function is a port of quote_cmd_arg from Node 4.x (technically, lib UV,
        // see https://github.com/nodejs/node/blob/v4.x/deps/uv/src/win/process.c for details),
        // pasting copyright notice from Node within this function:
        //
        //      Copyright Joyent, Inc. and other Node contributors. All rights reserved.
        //
        //      Permission is hereby granted, free of charge, to any person obtaining a copy
        //      of this software and associated documentation files (the "Software"), to
        //      deal in the Software without restriction, including without limitation the
        //      rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
        //      sell copies of the Software, and to permit persons to whom the Software is
        //      furnished to do so, subject to the following conditions:
        //
        //      The above copyright notice and this permission notice shall be included in
        //      all copies or substantial portions of the Software.
        //
        //      THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
        //      IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
        //      FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
        //      AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
        //      LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
        //      FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
        //      IN THE SOFTWARE.
        if (!arg) {
            // Need double quotation for empty argument
            return '""';
        }
        if (!arg.includes(' ') && !arg.includes('\t') && !arg.includes('"')) {
            // No quotation needed
            return arg;
        }
        if (!arg.includes('"') && !arg.includes('\\')) {
            // No embedded double quotes or backslashes, so I can just wrap
            // quote marks around the whole thing.
            return `"${arg}"`;
        }
        // Expected input/output:
        //   input : hello"world
        //   output: "hello\"world"
        //   input : hello""world
        //   output: "hello\"\"world"
        //   input : hello\world
        //   output: hello\world
        //   input : hello\\world
        //   output: hello\\world
        //   input : hello\"world
        //   output: "hello\\\"world"
        //   input : hello\\"world
        //   output: "hello\\\\\"world"
        //   input : hello world\
        //   output: "hello world\\" - note the comment in libuv actually reads "hello world\"
        //                             but it appears the comment is wrong, it should be "hello world\\"
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\';
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '\\';
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _cloneExecOptions(options) {
        options = options || {};
        const result = {
            cwd: options.cwd || process.cwd(),
            env: options.env || process.env,
            silent: options.silent || false,
            windowsVerbatimArguments: options.windowsVerbatimArguments || false,
            failOnStdErr: options.failOnStdErr || false,
            ignoreReturnCode: options.ignoreReturnCode || false,
            delay: options.delay || 10000
        };
        result.outStream = options.outStream || process.stdout;
        result.errStream = options.errStream || process.stderr;
        return result;
    }
    _getSpawnOptions(options, toolPath) {
        options = options || {};
        const result = {};
        result.cwd = options.cwd;
        result.env = options.env;
        result['windowsVerbatimArguments'] =
            options.windowsVerbatimArguments || this._isCmdFile();
        if (options.windowsVerbatimArguments) {
            result.argv0 = `"${toolPath}"`;
        }
        return result;
    }
    /**
     * Exec a tool.
     * Output will be streamed to the live console.
     * Returns promise with return code
     *
     * @param     tool     path to tool to exec
     * @param     options  optional exec options.  See ExecOptions
     * @returns   number
     */
    exec() {
        return toolrunner_awaiter(this, void 0, void 0, function* () {
            // root the tool path if it is unrooted and contains relative pathing
            if (!isRooted(this.toolPath) &&
                (this.toolPath.includes('/') ||
                    (toolrunner_IS_WINDOWS && this.toolPath.includes('\\')))) {
                // prefer options.cwd if it is specified, however options.cwd may also need to be rooted
                this.toolPath = external_path_namespaceObject.resolve(process.cwd(), this.options.cwd || process.cwd(), this.toolPath);
            }
            // if the tool is only a file name, then resolve it from the PATH
            // otherwise verify it exists (add extension on Windows if necessary)
            this.toolPath = yield which(this.toolPath, true);
            return new Promise((resolve, reject) => toolrunner_awaiter(this, void 0, void 0, function* () {
                this._debug(`exec tool: ${this.toolPath}`);
                this._debug('arguments:');
                for (const arg of this.args) {
                    this._debug(`   ${arg}`);
                }
                const optionsNonNull = this._cloneExecOptions(this.options);
                if (!optionsNonNull.silent && optionsNonNull.outStream) {
                    optionsNonNull.outStream.write(this._getCommandString(optionsNonNull) + external_os_namespaceObject.EOL);
                }
                const state = new ExecState(optionsNonNull, this.toolPath);
                state.on('debug', (message) => {
                    this._debug(message);
                });
                if (this.options.cwd && !(yield exists(this.options.cwd))) {
                    return reject(new Error(`The cwd: ${this.options.cwd} does not exist!`));
                }
                const fileName = this._getSpawnFileName();
                const cp = external_child_process_namespaceObject.spawn(fileName, this._getSpawnArgs(optionsNonNull), this._getSpawnOptions(this.options, fileName));
                let stdbuffer = '';
                if (cp.stdout) {
                    cp.stdout.on('data', (data) => {
                        if (this.options.listeners && this.options.listeners.stdout) {
                            this.options.listeners.stdout(data);
                        }
                        if (!optionsNonNull.silent && optionsNonNull.outStream) {
                            optionsNonNull.outStream.write(data);
                        }
                        stdbuffer = this._processLineBuffer(data, stdbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.stdline) {
                                this.options.listeners.stdline(line);
                            }
                        });
                    });
                }
                let errbuffer = '';
                if (cp.stderr) {
                    cp.stderr.on('data', (data) => {
                        state.processStderr = true;
                        if (this.options.listeners && this.options.listeners.stderr) {
                            this.options.listeners.stderr(data);
                        }
                        if (!optionsNonNull.silent &&
                            optionsNonNull.errStream &&
                            optionsNonNull.outStream) {
                            const s = optionsNonNull.failOnStdErr
                                ? optionsNonNull.errStream
                                : optionsNonNull.outStream;
                            s.write(data);
                        }
                        errbuffer = this._processLineBuffer(data, errbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.errline) {
                                this.options.listeners.errline(line);
                            }
                        });
                    });
                }
                cp.on('error', (err) => {
                    state.processError = err.message;
                    state.processExited = true;
                    state.processClosed = true;
                    state.CheckComplete();
                });
                cp.on('exit', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    this._debug(`Exit code ${code} received from tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                cp.on('close', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    state.processClosed = true;
                    this._debug(`STDIO streams have closed for tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                state.on('done', (error, exitCode) => {
                    if (stdbuffer.length > 0) {
                        this.emit('stdline', stdbuffer);
                    }
                    if (errbuffer.length > 0) {
                        this.emit('errline', errbuffer);
                    }
                    cp.removeAllListeners();
                    if (error) {
                        reject(error);
                    }
                    else {
                        resolve(exitCode);
                    }
                });
                if (this.options.input) {
                    if (!cp.stdin) {
                        throw new Error('child process missing stdin');
                    }
                    cp.stdin.end(this.options.input);
                }
            }));
        });
    }
}
/**
 * Convert an arg string to an array of args. Handles escaping
 *
 * @param    argString   string of arguments
 * @returns  string[]    array of arguments
 */
function argStringToArray(argString) {
    const args = [];
    let inQuotes = false;
    let escaped = false;
    let arg = '';
    function append(c) {
        // we only escape double quotes.
        if (escaped && c !== '"') {
            arg += '\\';
        }
        arg += c;
        escaped = false;
    }
    for (let i = 0; i < argString.length; i++) {
        const c = argString.charAt(i);
        if (c === '"') {
            if (!escaped) {
                inQuotes = !inQuotes;
            }
            else {
                append(c);
            }
            continue;
        }
        if (c === '\\' && escaped) {
            append(c);
            continue;
        }
        if (c === '\\' && inQuotes) {
            escaped = true;
            continue;
        }
        if (c === ' ' && !inQuotes) {
            if (arg.length > 0) {
                args.push(arg);
                arg = '';
            }
            continue;
        }
        append(c);
    }
    if (arg.length > 0) {
        args.push(arg.trim());
    }
    return args;
}
class ExecState extends external_events_namespaceObject.EventEmitter {
    constructor(options, toolPath) {
        super();
        this.processClosed = false; // tracks whether the process has exited and stdio is closed
        this.processError = '';
        this.processExitCode = 0;
        this.processExited = false; // tracks whether the process has exited
        this.processStderr = false; // tracks whether stderr was written to
        this.delay = 10000; // 10 seconds
        this.done = false;
        this.timeout = null;
        if (!toolPath) {
            throw new Error('toolPath must not be empty');
        }
        this.options = options;
        this.toolPath = toolPath;
        if (options.delay) {
            this.delay = options.delay;
        }
    }
    CheckComplete() {
        if (this.done) {
            return;
        }
        if (this.processClosed) {
            this._setResult();
        }
        else if (this.processExited) {
            this.timeout = (0,external_timers_namespaceObject.setTimeout)(ExecState.HandleTimeout, this.delay, this);
        }
    }
    _debug(message) {
        this.emit('debug', message);
    }
    _setResult() {
        // determine whether there is an error
        let error;
        if (this.processExited) {
            if (this.processError) {
                error = new Error(`There was an error when attempting to execute the process '${this.toolPath}'. This may indicate the process failed to start. Error: ${this.processError}`);
            }
            else if (this.processExitCode !== 0 && !this.options.ignoreReturnCode) {
                error = new Error(`The process '${this.toolPath}' failed with exit code ${this.processExitCode}`);
            }
            else if (this.processStderr && this.options.failOnStdErr) {
                error = new Error(`The process '${this.toolPath}' failed because one or more lines were written to the STDERR stream`);
            }
        }
        // clear the timeout
        if (this.timeout) {
            clearTimeout(this.timeout);
            this.timeout = null;
        }
        this.done = true;
        this.emit('done', error, this.processExitCode);
    }
    static HandleTimeout(state) {
        if (state.done) {
            return;
        }
        if (!state.processClosed && state.processExited) {
            const message = `The STDIO streams did not close within ${state.delay / 1000} seconds of the exit event from process '${state.toolPath}'. This may indicate a child process inherited the STDIO streams and has not yet exited.`;
            state._debug(message);
        }
        state._setResult();
    }
}
//# sourceMappingURL=toolrunner.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/exec.js
var exec_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


/**
 * Exec a command.
 * Output will be streamed to the live console.
 * Returns promise with return code
 *
 * @param     commandLine        command to execute (can include additional args). Must be correctly escaped.
 * @param     args               optional arguments for tool. Escaping is handled by the lib.
 * @param     options            optional exec options.  See ExecOptions
 * @returns   Promise<number>    exit code
 */
function exec_exec(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        const commandArgs = tr.argStringToArray(commandLine);
        if (commandArgs.length === 0) {
            throw new Error(`Parameter 'commandLine' cannot be null or empty.`);
        }
        // Path to tool to execute should be first arg
        const toolPath = commandArgs[0];
        args = commandArgs.slice(1).concat(args || []);
        const runner = new tr.ToolRunner(toolPath, args, options);
        return runner.exec();
    });
}
/**
 * Exec a command and get the output.
 * Output will be streamed to the live console.
 * Returns promise with the exit code and collected stdout and stderr
 *
 * @param     commandLine           command to execute (can include additional args). Must be correctly escaped.
 * @param     args                  optional arguments for tool. Escaping is handled by the lib.
 * @param     options               optional exec options.  See ExecOptions
 * @returns   Promise<ExecOutput>   exit code, stdout, and stderr
 */
function getExecOutput(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        var _a, _b;
        let stdout = '';
        let stderr = '';
        //Using string decoder covers the case where a mult-byte character is split
        const stdoutDecoder = new StringDecoder('utf8');
        const stderrDecoder = new StringDecoder('utf8');
        const originalStdoutListener = (_a = options === null || options === void 0 ? void 0 : options.listeners) === null || _a === void 0 ? void 0 : _a.stdout;
        const originalStdErrListener = (_b = options === null || options === void 0 ? void 0 : options.listeners) === null || _b === void 0 ? void 0 : _b.stderr;
        const stdErrListener = (data) => {
            stderr += stderrDecoder.write(data);
            if (originalStdErrListener) {
                originalStdErrListener(data);
            }
        };
        const stdOutListener = (data) => {
            stdout += stdoutDecoder.write(data);
            if (originalStdoutListener) {
                originalStdoutListener(data);
            }
        };
        const listeners = Object.assign(Object.assign({}, options === null || options === void 0 ? void 0 : options.listeners), { stdout: stdOutListener, stderr: stdErrListener });
        const exitCode = yield exec_exec(commandLine, args, Object.assign(Object.assign({}, options), { listeners }));
        //flush any remaining characters
        stdout += stdoutDecoder.end();
        stderr += stderrDecoder.end();
        return {
            exitCode,
            stdout,
            stderr
        };
    });
}
//# sourceMappingURL=exec.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield exec.getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield exec.getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield exec.getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield exec.getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_namespaceObject.platform();
const arch = external_os_namespaceObject.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};






/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function core_setSecret(secret) {
    command_issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${path.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return file_command_issueFileCommand('OUTPUT', file_command_prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_namespaceObject.EOL);
    command_issueCommand('set-output', { name }, utils_toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function core_debug(message) {
    command_issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    command_issueCommand('error', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    command_issueCommand('warning', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    command_issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_namespaceObject.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    command_issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    command_issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return file_command_issueFileCommand('STATE', file_command_prepareKeyValueMessage(name, value));
    }
    command_issueCommand('save-state', { name }, utils_toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(951);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
