package io.pekkoraft.benchmarks;

import io.pekkoraft.benchmarks.W1Options.HelpRequested;
import io.pekkoraft.benchmarks.W1Options.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The flags of {@code bin/bench etcd}, parsed and checked as W1's are ({@link W1Options}: the same
 * {@link UsageException} naming the flag, the same {@code --flag value} and {@code --flag=value} forms).
 *
 * @param clients the client counts, run one after another on one cluster per target, in this order
 * @param warmupSeconds warm-up of each client count, not measured
 * @param measureSeconds the measured window of each client count
 * @param payloadBytes bytes of each Put's value
 * @param targets what is measured, one after the other: our gateway ({@code pekko-raft}), etcd itself ({@code etcd})
 */
public record EtcdOptions(List<Integer> clients, int warmupSeconds, int measureSeconds, int payloadBytes,
    List<Target> targets) {

  public static final String USAGE = """
      usage: bin/bench etcd [flags]
        --clients 1,16,64          client counts, run in this order on each target's cluster (each 1..4096);
                                   each client is its own jetcd client
        --warmup SECONDS           warm-up of each client count (default 5, 0 allowed)
        --measure SECONDS          measured window of each client count (default 10, at least 1)
        --payload BYTES            bytes of each Put's value (default 256, 32..1000000)
        --target pekko-raft,etcd   what to measure, in this order (default both): pekko-raft = three members
                                   in this JVM serving the etcd API from their gRPC gateways; etcd = three
                                   etcd processes started from the etcd on PATH (skipped when there is none)
        --help                     this text
      """;

  /** The smallest value: it starts with the client and its Put's number, so every value is unique. */
  static final int PAYLOAD_MIN = 32;

  /** What the workload runs against. */
  public enum Target {
    /** Three Pekko Raft members in this JVM, each serving the etcd API ({@code PekkoRaftEtcd}) on its gateway. */
    PEKKO_RAFT("pekko-raft"),
    /** Three etcd processes started by the benchmark. */
    ETCD("etcd");

    private final String flagName;

    Target(String flagName) {
      this.flagName = flagName;
    }

    /** As on the command line, and as the {@code peer} of the output lines. */
    public String flagName() {
      return flagName;
    }
  }

  private static final Set<String> FLAGS = Set.of("--clients", "--warmup", "--measure", "--payload", "--target");

  public static EtcdOptions defaults() {
    return new EtcdOptions(List.of(1, 16, 64), 5, 10, 256, List.of(Target.PEKKO_RAFT, Target.ETCD));
  }

  public static EtcdOptions parse(List<String> args) throws UsageException, HelpRequested {
    EtcdOptions o = defaults();
    List<Integer> clients = o.clients;
    int warmup = o.warmupSeconds;
    int measure = o.measureSeconds;
    int payload = o.payloadBytes;
    List<Target> targets = o.targets;
    for (String[] flagValue : W1Options.flags(args, FLAGS)) {
      String flag = flagValue[0];
      String value = flagValue[1];
      switch (flag) {
        case "--clients" -> clients = W1Options.intList(flag, value, 1, 4096);
        case "--warmup" -> warmup = W1Options.integer(flag, value, 0, 3600);
        case "--measure" -> measure = W1Options.integer(flag, value, 1, 3600);
        case "--payload" -> payload = W1Options.integer(flag, value, PAYLOAD_MIN, 1_000_000);
        case "--target" -> targets = targets(flag, value);
        default -> throw new IllegalStateException("flag " + flag + " is listed but not read");
      }
    }
    return new EtcdOptions(clients, warmup, measure, payload, targets);
  }

  private static List<Target> targets(String flag, String value) throws UsageException {
    List<Target> list = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      String name = part.trim().toLowerCase();
      Target target = null;
      for (Target t : Target.values()) if (t.flagName().equals(name)) target = t;
      if (target == null) throw new UsageException(flag + " takes pekko-raft, etcd (comma-separated), got '" + part + "'");
      if (list.contains(target)) throw new UsageException(flag + " lists " + name + " twice");
      list.add(target);
    }
    return List.copyOf(list);
  }
}
