package io.pekkoraft.benchmarks;

import java.util.List;

/**
 * The entry point of {@code bin/bench}: {@code bench w1 [flags]}, {@code bench reads [flags]},
 * {@code bench log-memory [flags]}, {@code bench etcd [flags]}. Exit codes: 0 when the run completed and
 * every check held, 1 when a check failed or the run broke, 2 for a bad command line.
 */
public final class Bench {

  private Bench() {}

  public static void main(String[] args) {
    System.exit(run(List.of(args)));
  }

  static int run(List<String> args) {
    if (!args.isEmpty() && args.get(0).equals("log-memory")) return logMemory(args.subList(1, args.size()));
    if (!args.isEmpty() && args.get(0).equals("reads")) return reads(args.subList(1, args.size()));
    if (!args.isEmpty() && args.get(0).equals("etcd")) return etcd(args.subList(1, args.size()));
    if (args.isEmpty() || !args.get(0).equals("w1")) {
      if (!args.isEmpty() && (args.get(0).equals("--help") || args.get(0).equals("-h"))) {
        System.out.print(W1Options.USAGE);
        return 0;
      }
      System.err.println("bench: the first argument names the workload: w1, reads, log-memory or etcd"
          + (args.isEmpty() ? "" : " (got '" + args.get(0) + "')"));
      System.err.print(W1Options.USAGE);
      return 2;
    }
    W1Options options;
    try {
      options = W1Options.parse(args.subList(1, args.size()));
    } catch (W1Options.HelpRequested help) {
      System.out.print(W1Options.USAGE);
      return 0;
    } catch (W1Options.UsageException e) {
      System.err.println("bench w1: " + e.getMessage());
      System.err.print(W1Options.USAGE);
      return 2;
    }
    Output.capture();
    try {
      boolean ok = W1.run(options);
      if (!ok) Output.comment("FAILED: a check did not hold (see the consistency line)");
      return ok ? 0 : 1;
    } catch (Exception e) {
      Output.comment("FAILED: " + e);
      System.err.println("bench w1 failed with arguments " + String.join(" ", args));
      e.printStackTrace();
      return 1;
    }
  }

  /** Figures only: 0 whenever the run completed (a read that went back is printed, not a failure). */
  private static int reads(List<String> args) {
    Reads.Options options;
    try {
      options = Reads.Options.parse(args);
    } catch (W1Options.HelpRequested help) {
      System.out.print(Reads.USAGE);
      return 0;
    } catch (W1Options.UsageException e) {
      System.err.println("bench reads: " + e.getMessage());
      System.err.print(Reads.USAGE);
      return 2;
    }
    Output.capture();
    try {
      Reads.run(options);
      return 0;
    } catch (Exception e) {
      Output.comment("FAILED: " + e);
      e.printStackTrace();
      return 1;
    }
  }

  private static int logMemory(List<String> args) {
    LogMemory.Options options;
    try {
      options = LogMemory.Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench log-memory: " + e.getMessage());
      System.err.print(LogMemory.USAGE);
      return 2;
    }
    Output.capture();
    try {
      boolean ok = LogMemory.run(options);
      if (!ok) Output.comment("FAILED: the cut-off member did not catch up, or a command failed");
      return ok ? 0 : 1;
    } catch (Exception e) {
      Output.comment("FAILED: " + e);
      e.printStackTrace();
      return 1;
    }
  }

  /** 0 when every check held (a target that cannot run, etcd without an etcd on PATH, is skipped). */
  private static int etcd(List<String> args) {
    EtcdOptions options;
    try {
      options = EtcdOptions.parse(args);
    } catch (W1Options.HelpRequested help) {
      System.out.print(EtcdOptions.USAGE);
      return 0;
    } catch (W1Options.UsageException e) {
      System.err.println("bench etcd: " + e.getMessage());
      System.err.print(EtcdOptions.USAGE);
      return 2;
    }
    Output.capture();
    try {
      boolean ok = EtcdBench.run(options);
      if (!ok) Output.comment("FAILED: a check did not hold (see the throughput and consistency lines)");
      return ok ? 0 : 1;
    } catch (Exception e) {
      Output.comment("FAILED: " + e);
      e.printStackTrace();
      return 1;
    }
  }
}
