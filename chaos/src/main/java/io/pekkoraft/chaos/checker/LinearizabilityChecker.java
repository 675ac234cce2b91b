package io.pekkoraft.chaos.checker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides whether a history is linearizable: whether its operations can be put in one order that respects
 * real time (an operation that completed before another was invoked comes first) and that the sequential
 * {@link Model} accepts.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization, as Porcupine runs it: the invoke and completion
 * events in time order form a doubly linked list; the search linearizes any operation whose invoke comes
 * before the first completion still in the list (removing both of its events), and backtracks when it reaches
 * a completion whose operation it could not linearize. A configuration (which operations are linearized, the
 * model's state) that was already explored is never explored again.
 *
 * <p>What keeps it fast on long histories:
 * <ul>
 *   <li>P-compositionality: each key is its own object, checked on its own ({@link #checkByKey}).
 *   <li>The set of linearized operations is taken compactly: the length of the prefix (in invoke order)
 *       that is wholly linearized, and a bitset of the window after it, which concurrency keeps small. An
 *       explored configuration is remembered as a 64-bit fingerprint of that and the model's state (8 to 16
 *       bytes each, for millions of them). Two configurations with one fingerprint would hide the second:
 *       that can only lose a linearization, never invent one, so "linearizable" is exact, and with n
 *       configurations "not linearizable" is wrong with a probability near n&sup2;/2<sup>65</sup> (10<sup>-5</sup>
 *       for 20 million).
 *   <li>Operations of unknown outcome never complete, so they would stay in the window for ever. Two of them
 *       with the same function and input are interchangeable, so the earlier-invoked one is always linearized
 *       first; then the ones linearized are, per kind, a count, and the window holds only the others.
 * </ul>
 */
public final class LinearizabilityChecker {

  /**
   * By default the checker gives up (an unknown verdict, rather than running for ever) after this many search
   * steps per operation of the key, and at least {@link #MIN_STEP_BUDGET}: real histories take a few hundred
   * per operation (a step is about 60 ns).
   */
  public static final long DEFAULT_STEPS_PER_OPERATION = 5_000L;
  public static final long MIN_STEP_BUDGET = 200_000_000L;

  /** The verdict on one key, or on a whole history. */
  public record Result(Verdict verdict, int operations, String explanation) {
    public boolean linearizable() {
      return verdict == Verdict.LINEARIZABLE;
    }
  }

  public enum Verdict { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

  private final Model model;
  private final long stepBudget;

  public LinearizabilityChecker(Model model) {
    this(model, 0);
  }

  /** {@code stepBudget}: search steps per key before giving up; 0 for the default (scaled to the key's history). */
  public LinearizabilityChecker(Model model, long stepBudget) {
    this.model = Objects.requireNonNull(model, "model");
    this.stepBudget = stepBudget;
  }

  /** Checks each key on its own; the history is linearizable when every key is. Keys in order of first use. */
  public Map<String, Result> checkByKey(List<Operation> operations) {
    Map<String, Result> results = new LinkedHashMap<>();
    for (Map.Entry<String, List<Operation>> key : Histories.byKey(operations).entrySet()) {
      results.put(key.getKey(), check(key.getValue()));
    }
    return results;
  }

  /** Checks the operations of one object, numbered 0..n-1 in invoke order. */
  public Result check(List<Operation> operations) {
    for (int i = 0; i < operations.size(); i++) {
      if (operations.get(i).id() != i) throw new IllegalArgumentException("operation ids must be 0..n-1 in order");
    }
    return new Search(operations).run();
  }

  /** A node of the event list: the invoke (call) or completion (return) of one operation. */
  private static final class Entry {
    final Operation op;
    final boolean call;
    final long time;
    Entry match;
    Entry prev;
    Entry next;

    Entry(Operation op, boolean call, long time) {
      this.op = op;
      this.call = call;
      this.time = time;
    }
  }

  /**
   * What the search pushes when it linearizes an operation, to undo it when backtracking: the invoke of the
   * operation of known outcome, or (call null) the kind of the operation of unknown outcome.
   */
  private record Frame(Entry call, int kind, Object stateBefore) {}

  private final class Search {
    private final List<Operation> operations;
    /** The invoke and completion events of the operations of known outcome, in time order. */
    private final Entry head = new Entry(null, false, Long.MIN_VALUE);
    /** Linearized operations of known outcome, by their index among those (in invoke order). */
    private final BitSet linearized = new BitSet();
    /** The index among the operations of known outcome of each operation (by id); -1 for unknown ones. */
    private final int[] knownIndex;
    /** The first index not linearized: every operation of known outcome before it is. */
    private int prefix;
    /** The operations of unknown outcome by kind (function and input), each kind in invoke order. */
    private final List<List<Operation>> unknownByKind = new ArrayList<>();
    /** Per kind: how many are linearized (always the first ones). */
    private final int[] unknownCounts;
    private final FingerprintSet explored = new FingerprintSet();
    private final Deque<Frame> stack = new ArrayDeque<>();

    /** The deepest point reached, for the explanation of a failure. */
    private int deepest = -1;
    private Operation stuckAt;
    private Object stuckState;

    Search(List<Operation> operations) {
      this.operations = operations;
      this.knownIndex = new int[operations.size()];
      int known = 0;
      Map<List<Object>, Integer> kinds = new HashMap<>();
      for (Operation op : operations) {
        knownIndex[op.id()] = op.unknown() ? -1 : known++;
        if (!op.unknown()) continue;
        int kind = kinds.computeIfAbsent(Arrays.asList(op.f(), op.input()), k -> kinds.size());
        if (kind == unknownByKind.size()) unknownByKind.add(new ArrayList<>());
        unknownByKind.get(kind).add(op);
      }
      this.unknownCounts = new int[unknownByKind.size()];
      buildList();
    }

    private void buildList() {
      List<Entry> entries = new ArrayList<>(operations.size() * 2);
      for (Operation op : operations) {
        if (op.unknown()) continue;
        Entry call = new Entry(op, true, op.invokeTime());
        Entry ret = new Entry(op, false, op.completeTime());
        call.match = ret;
        ret.match = call;
        entries.add(call);
        entries.add(ret);
      }
      // At equal times an invoke goes first: the two operations count as concurrent, the lenient reading.
      entries.sort(Comparator.<Entry>comparingLong(e -> e.time).thenComparing(e -> !e.call).thenComparingInt(e -> e.op.id()));
      Entry last = head;
      for (Entry e : entries) {
        last.next = e;
        e.prev = last;
        last = e;
      }
    }

    /**
     * The search. Operations of known outcome are tried first, then those of unknown outcome that were invoked
     * before the first completion still pending: an unknown operation is linearized when something needs it, not
     * as soon as it is invoked. Once every operation of known outcome is linearized, the unknown ones left take
     * effect at the end, or never: either is allowed.
     */
    Result run() {
      long budget = stepBudget > 0 ? stepBudget
          : Math.max(MIN_STEP_BUDGET, DEFAULT_STEPS_PER_OPERATION * operations.size());
      Object state = model.initial();
      Entry entry = head.next;
      int kindCursor = -1; // -1: trying operations of known outcome; else the next kind of unknown ones to try
      long steps = 0;
      while (head.next != null) {
        if (++steps > budget) {
          return new Result(Verdict.UNKNOWN, operations.size(), "gave up after " + budget + " search steps with "
              + stack.size() + " of " + operations.size() + " operations linearized");
        }
        if (kindCursor < 0) {
          if (!entry.call) {
            kindCursor = 0;
            continue;
          }
          if (tryLinearize(entry.op, state)) {
            stack.push(new Frame(entry, -1, state));
            state = model.step(state, entry.op);
            lift(entry);
            entry = head.next;
            continue;
          }
          entry = entry.next;
        } else if (kindCursor < unknownByKind.size()) {
          Operation op = nextUnknown(kindCursor);
          if (op != null && (!model.commutes(op) || somePendingNeeds(op, state)) && tryLinearize(op, state)) {
            stack.push(new Frame(null, kindCursor, state));
            state = model.step(state, op);
            entry = head.next;
            kindCursor = -1;
            continue;
          }
          kindCursor++;
        } else {
          // The first pending completion's operation cannot be linearized now, whatever comes first. Backtrack.
          if (stack.size() > deepest) {
            deepest = stack.size();
            stuckAt = firstCompletion().op;
            stuckState = state;
          }
          if (stack.isEmpty()) return failure();
          Frame frame = stack.pop();
          state = frame.stateBefore();
          if (frame.call() != null) {
            mark(frame.call().op, false);
            unlift(frame.call());
            entry = frame.call().next;
            kindCursor = -1;
          } else {
            unknownCounts[frame.kind()]--;
            kindCursor = frame.kind() + 1;
          }
        }
      }
      return new Result(Verdict.LINEARIZABLE, operations.size(),
          "linearizable (" + explored.size() + " configurations explored in " + steps + " steps)");
    }

    /**
     * Whether {@code op} can take effect in {@code state} and leads to a configuration not explored yet; if so
     * it is marked linearized (and the configuration remembered).
     */
    private boolean tryLinearize(Operation op, Object state) {
      Object next = model.step(state, op);
      if (next == null) return false;
      mark(op, true);
      if (explored.add(fingerprint(next))) return true;
      mark(op, false);
      return false;
    }

    /** The next unlinearized operation of {@code kind}, if it was invoked before the first pending completion. */
    private Operation nextUnknown(int kind) {
      List<Operation> ofKind = unknownByKind.get(kind);
      if (unknownCounts[kind] >= ofKind.size()) return null;
      Operation op = ofKind.get(unknownCounts[kind]);
      return op.invokeTime() <= firstCompletion().time ? op : null;
    }

    /**
     * Whether an operation of known outcome invoked before the first pending completion cannot happen in
     * {@code state}, and {@code unknown} may help it.
     */
    private boolean somePendingNeeds(Operation unknown, Object state) {
      for (Entry e = head.next; e.call; e = e.next) {
        if (model.step(state, e.op) == null && model.mayHelp(state, unknown, e.op)) return true;
      }
      return false;
    }

    private Entry firstCompletion() {
      Entry e = head.next;
      while (e.call) e = e.next;
      return e;
    }

    private Result failure() {
      StringBuilder why = new StringBuilder("no linearization: the longest linearizable order found places ")
          .append(deepest).append(" of ").append(operations.size()).append(" operations, then ").append(stuckAt)
          .append(" cannot take effect in state ").append(describe(stuckState)).append(". Concurrent with it:");
      int shown = 0;
      int unknownBefore = 0;
      for (Operation op : operations) {
        if (op.invokeTime() > stuckAt.completeTime() || op.completeTime() < stuckAt.invokeTime() || op == stuckAt) continue;
        if (op.unknown()) {
          unknownBefore++;
        } else if (shown++ < 12) {
          why.append("\n  ").append(op);
        }
      }
      if (shown > 12) why.append("\n  ... and ").append(shown - 12).append(" more");
      why.append("\n  and ").append(unknownBefore).append(" operations of unknown outcome invoked before it completed");
      return new Result(Verdict.NOT_LINEARIZABLE, operations.size(), why.toString());
    }

    private String describe(Object state) {
      return state instanceof java.util.Optional<?> o ? (o.isPresent() ? String.valueOf(o.get()) : "nil") : String.valueOf(state);
    }

    private void mark(Operation op, boolean done) {
      if (op.unknown()) {
        unknownCounts[kindOf(op)] += done ? 1 : -1;
        return;
      }
      int index = knownIndex[op.id()];
      linearized.set(index, done);
      if (done && index == prefix) prefix = linearized.nextClearBit(prefix);
      if (!done && index < prefix) prefix = index;
    }

    private int kindOf(Operation op) {
      for (int kind = 0; kind < unknownByKind.size(); kind++) {
        List<Operation> ofKind = unknownByKind.get(kind);
        if (ofKind.get(0).f().equals(op.f()) && Objects.equals(ofKind.get(0).input(), op.input())) return kind;
      }
      throw new IllegalStateException("not an unknown operation: " + op);
    }

    /**
     * The fingerprint of the configuration (the linearized set, in its compact form: the prefix and the window
     * after it, and the counts of unknown operations per kind) with {@code state}.
     */
    private long fingerprint(Object state) {
      long h = FingerprintSet.mix(prefix + 0x9e3779b97f4a7c15L);
      for (long word : linearized.get(prefix, Math.max(prefix, linearized.length())).toLongArray()) {
        h = FingerprintSet.mix(h ^ word);
      }
      for (int count : unknownCounts) h = FingerprintSet.mix(h ^ count);
      return FingerprintSet.mix(h ^ FingerprintSet.mix(model.fingerprint(state) ^ 0x632be59bd9b4e019L));
    }

    private void lift(Entry call) {
      call.prev.next = call.next;
      call.next.prev = call.prev;
      Entry ret = call.match;
      ret.prev.next = ret.next;
      if (ret.next != null) ret.next.prev = ret.prev;
    }

    private void unlift(Entry call) {
      Entry ret = call.match;
      ret.prev.next = ret;
      if (ret.next != null) ret.next.prev = ret;
      call.prev.next = call;
      call.next.prev = call;
    }
  }
}
