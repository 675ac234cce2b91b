package io.pekkoraft.chaos;

import io.pekkoraft.chaos.checker.AppliedAdds;
import io.pekkoraft.chaos.checker.CounterDurability;
import io.pekkoraft.chaos.checker.CounterModel;
import io.pekkoraft.chaos.checker.Histories;
import io.pekkoraft.chaos.checker.LinearizabilityChecker;
import io.pekkoraft.chaos.checker.Model;
import io.pekkoraft.chaos.checker.Operation;
import io.pekkoraft.chaos.checker.RegisterModel;
import io.pekkoraft.chaos.runner.EtcdRun;
import io.pekkoraft.chaos.history.Event;
import io.pekkoraft.chaos.runner.ChaosOptions;
import io.pekkoraft.chaos.runner.ChaosRun;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The chaos runner's entry point: {@code bin/chaos [flags]} (see {@link ChaosOptions#USAGE}). Starts the
 * nodes, runs the clients and the nemesis, records the history, checks it, prints a summary, and exits with
 * 0 when the history is linearizable and nothing acknowledged was lost, 1 when a check failed, 2 for bad
 * flags, 3 when the run itself could not be carried out.
 */
public final class ChaosRunner {

  public static final int OK = 0;
  public static final int CHECK_FAILED = 1;
  public static final int BAD_FLAGS = 2;
  public static final int RUN_FAILED = 3;

  private ChaosRunner() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs with {@code args}, printing progress to {@code out}; returns the exit status. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    ChaosOptions options;
    try {
      options = ChaosOptions.parse(args);
    } catch (ChaosOptions.UsageException e) {
      err.println("chaos: " + e.getMessage());
      err.println(ChaosOptions.USAGE);
      return BAD_FLAGS;
    }
    if (options == null) {
      out.println(ChaosOptions.USAGE);
      return OK;
    }
    ChaosRun.Outcome outcome;
    try {
      outcome = options.workload() == ChaosOptions.Workload.ETCD ? new EtcdRun(options, out).run()
          : new ChaosRun(options, out).run();
    } catch (Exception e) {
      err.println("chaos: the run could not be carried out: " + e);
      e.printStackTrace(err);
      err.println("chaos: replay with: bin/chaos " + options.replayFlags() + "   (logs in " + options.dir() + ")");
      return RUN_FAILED;
    }
    try {
      return check(options, outcome, out);
    } catch (OutOfMemoryError e) {
      // No verdict is not a pass.
      out.println("RESULT: FAILED   the checker ran out of memory (give the JVM more with -Xmx); the history is "
          + options.history().toAbsolutePath());
      return CHECK_FAILED;
    }
  }

  /** Checks the recorded history and prints the verdicts; returns the exit status. */
  static int check(ChaosOptions options, ChaosRun.Outcome outcome, PrintStream out) {
    List<Event> events = outcome.events();
    long started = System.nanoTime();
    // The etcd workload's failed CAS (a Txn: compare, else get) read the value it found: checked as that read.
    List<Operation> operations = Histories.operations(options.workload() == ChaosOptions.Workload.ETCD
        ? Histories.failedCasAsReads(events) : events);
    Model model = options.workload() == ChaosOptions.Workload.COUNTER ? new CounterModel() : new RegisterModel();
    Map<String, LinearizabilityChecker.Result> results = new LinearizabilityChecker(model).checkByKey(operations);
    long checkMillis = (System.nanoTime() - started) / 1_000_000;

    boolean linearizable = true;
    boolean unknown = false;
    for (Map.Entry<String, LinearizabilityChecker.Result> key : results.entrySet()) {
      LinearizabilityChecker.Result result = key.getValue();
      if (result.verdict() == LinearizabilityChecker.Verdict.NOT_LINEARIZABLE) {
        linearizable = false;
        out.println("NOT LINEARIZABLE" + (key.getKey().isEmpty() ? "" : " (key " + key.getKey() + ")") + ": "
            + result.explanation());
      } else if (result.verdict() == LinearizabilityChecker.Verdict.UNKNOWN) {
        unknown = true;
        out.println("checker gave up" + (key.getKey().isEmpty() ? "" : " on key " + key.getKey()) + ": " + result.explanation());
      }
    }
    out.printf("linearizability: %s (%d operations in the history, %d checked over %d key%s, %d ms)%n",
        linearizable && !unknown ? "linearizable" : linearizable ? "UNKNOWN" : "NOT LINEARIZABLE",
        events.size() / 2, operations.size(), results.size(), results.size() == 1 ? "" : "s", checkMillis);

    boolean durable = true;
    if (options.workload() == ChaosOptions.Workload.COUNTER) {
      long finalValue = (Long) outcome.finalValues().get("");
      CounterDurability.Result durability = CounterDurability.check(events, finalValue);
      durable = durability.holds();
      out.println("durability: " + durability
          + (durability.holds() && durability.unknown() == 0 ? " (no add left unknown: exact, final == acknowledged)" : ""));
      if (outcome.appliedIds() != null) {
        AppliedAdds.Result adds = AppliedAdds.check(events, outcome.appliedIds(), options.sessions(),
            options.requestTimeout().toNanos());
        out.println("adds one by one: " + adds);
        durable &= adds.holds();
        if (outcome.appliedIds().length != finalValue) {
          durable = false;
          out.println("the store's value " + finalValue + " is not the number of adds it applied, "
              + outcome.appliedIds().length);
        }
      }
    } else {
      out.println("durability: every key read after the faults ended (" + outcome.finalValues().size()
          + " keys): an acknowledged write that was lost makes its final read non-linearizable");
    }
    for (ChaosRun.Check extra : outcome.checks()) {
      out.println(extra.name() + ": " + extra.verdict());
      durable &= extra.holds();
    }
    boolean ok = linearizable && !unknown && durable;
    long acknowledged = events.stream().filter(e -> e.type() == Event.Type.OK).count();
    long failed = events.stream().filter(e -> e.type() == Event.Type.FAIL).count();
    long indefinite = events.stream().filter(e -> e.type() == Event.Type.INFO).count();
    out.printf("summary: seed %d, %d nodes, %s workload, sessions %s, %s reads; %s; %d operations (%d ok, %d fail, %d info);"
        + " checked in %d ms%n",
        options.seed(), options.nodes(), options.workload().name().toLowerCase(Locale.ROOT), options.sessions() ? "on" : "off",
        options.reads().name().toLowerCase(Locale.ROOT) + (options.reads() == io.pekkoraft.consensus.ReadConsistency.LEASE
            ? " (margin " + options.leaseMargin().toMillis() + " ms)" : ""), outcome.faults(),
        acknowledged + failed + indefinite, acknowledged, failed, indefinite, checkMillis);
    if (!outcome.notes().isEmpty()) out.println(outcome.notes());
    out.println(ok ? "RESULT: OK" : "RESULT: FAILED   replay with: bin/chaos " + options.replayFlags());
    out.println("history: " + options.history().toAbsolutePath() + "   node logs: " + options.dir().toAbsolutePath());
    return ok ? OK : CHECK_FAILED;
  }
}
