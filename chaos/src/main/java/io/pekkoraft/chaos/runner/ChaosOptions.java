package io.pekkoraft.chaos.runner;

import io.pekkoraft.consensus.ReadConsistency;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The runner's flags, parsed and checked. Every bad flag is a {@link UsageException} that names it; the runner
 * prints it with the usage and exits with status 2.
 */
public record ChaosOptions(
    int nodes,
    Duration duration,
    Set<Fault> faults,
    long seed,
    int clients,
    Workload workload,
    Path history,
    Path dir,
    Duration requestTimeout,
    ReadConsistency reads,
    boolean sessions,
    Duration leaseMargin,
    Map<String, Double> clockRates,
    Routes routes,
    Duration attemptTimeout) {

  /** The faults the nemesis can inject. */
  public enum Fault { KILL, PAUSE, PARTITION, ISOLATE, MEMBERSHIP }

  /** How the clients find the leader: through one shared route, or each from a home node of its own. */
  public enum Routes { SHARED, HOME }

  /** The reference pekko-raft.session.attempt-timeout. */
  private static final long ATTEMPT_TIMEOUT_MILLIS = 2000;

  /**
   * The faults without --faults: membership changes are asked for by name (they start two more JVMs), and so
   * is isolate (it moves the leadership to the slowest clock on purpose).
   */
  private static final Set<Fault> DEFAULT_FAULTS = EnumSet.of(Fault.KILL, Fault.PAUSE, Fault.PARTITION);

  /** What the clients do. */
  public enum Workload { COUNTER, REGISTER, ETCD }

  /** A flag that is unknown, missing its value, or out of range. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  public static final String USAGE = String.join("\n",
      "usage: bin/chaos [flags]",
      "  --nodes N             Raft members at the start, each its own JVM on 127.0.0.1: 3 or 5 (default 3)",
      "  --duration SECONDS    how long faults are injected while the clients run (default 60)",
      "  --faults LIST         kill,pause,partition,isolate,membership (any subset, comma separated) or none",
      "                        (default kill,pause,partition); membership adds, removes and replaces members,",
      "                        also through joint changes, with two spare nodes (node-N+1, node-N+2); isolate",
      "                        makes the node with the slowest clock (--clock-rate; else the leader) lead, then",
      "                        cuts its Raft traffic to every peer for 2-8 s (clients still reach it)",
      "  --seed S              seed of the fault schedule and the clients' choices (default: random, printed)",
      "  --clients C           concurrent client processes (default 5)",
      "  --workload W          counter (add 1, read) or register (read, write, cas per key) (default counter),",
      "                        or etcd: the nodes serve the etcd API from their gateways, jetcd clients run Put,",
      "                        Range and Txn-as-CAS per key, watches and a kept-alive lease (kill, pause, partition)",
      "  --history PATH        where the JSON-lines history goes (default <dir>/history.jsonl)",
      "  --dir DIR             the run's directory: node data and logs (default chaos-runs/<seed>)",
      "  --sessions on|off     client sessions (default on): the clients retry operations of unknown outcome",
      "                        themselves, each applied at most once; off: no retries, as before sessions",
      "  --timeout MILLIS      a client request's deadline; past it the outcome is unknown (default 30000",
      "                        with sessions, the window the clients retry in; 2000 without; 10000 for etcd)",
      "  --reads R             linearizable (default), lease (the leader's lease, nodes run with",
      "                        pekko-raft.read.lease = on), follower (FOLLOWER reads sent to followers), or",
      "                        stale: stale reads are not linearizable, and a run with faults is expected to",
      "                        fail with them (a check of the checker)",
      "  --lease-margin MILLIS the nodes' pekko-raft.read.lease-clock-drift-margin with --reads lease",
      "                        (default 100, the reference value; 0 to 999)",
      "  --clock-rate LIST     with --reads lease: node=rate,... (or all=rate) runs those nodes' clocks at that",
      "                        rate (0.1 to 10; 0.5 = half speed): every duration Raft times on them (elections,",
      "                        heartbeats, check-quorum, the lease) lasts 1/rate as long; a slow leader's lease",
      "                        outlasts the others' election timeout unless the margin covers the drift,",
      "                        margin >= (1 - rate) x 1000 ms (default: all 1)",
      "  --routes R            shared (default): the clients share one leader hint; home: client i asks node",
      "                        i mod N first for each operation, and keeps a leader hint of its own",
      "  --attempt-timeout MILLIS  how long a client waits for one attempt before it asks elsewhere (the",
      "                        client's pekko-raft.session.attempt-timeout; default 2000, 100 to 10000)",
      "  --help                this text",
      "Exit status: 0 linearizable and nothing acknowledged lost; 1 a check failed; 2 bad flags;",
      "3 the run itself could not be carried out (a node did not start, no leader).");

  /** Parses {@code args}; null for {@code --help}. */
  public static ChaosOptions parse(String[] args) throws UsageException {
    int nodes = 3;
    long durationSeconds = 60;
    Set<Fault> faults = EnumSet.copyOf(DEFAULT_FAULTS);
    Long seed = null;
    int clients = 5;
    Workload workload = Workload.COUNTER;
    Path history = null;
    Path dir = null;
    Long timeoutMillis = null;
    ReadConsistency reads = ReadConsistency.LINEARIZABLE;
    boolean sessions = true;
    Long leaseMarginMillis = null;
    Map<String, Double> clockRates = new TreeMap<>();
    Routes routes = Routes.SHARED;
    long attemptTimeoutMillis = ATTEMPT_TIMEOUT_MILLIS;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) return null;
      if (!flag.startsWith("--")) throw new UsageException("unexpected argument '" + flag + "': flags start with --");
      if (i + 1 >= args.length) throw new UsageException(flag + " needs a value");
      String value = args[++i];
      switch (flag) {
        case "--nodes" -> {
          nodes = integer(flag, value);
          if (nodes != 3 && nodes != 5) throw new UsageException("--nodes must be 3 or 5, not " + value);
        }
        case "--duration" -> {
          durationSeconds = integer(flag, value);
          if (durationSeconds < 1) throw new UsageException("--duration must be at least 1 second, not " + value);
        }
        case "--faults" -> faults = faults(value);
        case "--seed" -> seed = longValue(flag, value);
        case "--clients" -> {
          clients = integer(flag, value);
          if (clients < 1 || clients > 100) throw new UsageException("--clients must be 1 to 100, not " + value);
        }
        case "--workload" -> workload = switch (value) {
          case "counter" -> Workload.COUNTER;
          case "register" -> Workload.REGISTER;
          case "etcd" -> Workload.ETCD;
          default -> throw new UsageException("--workload must be counter, register or etcd, not '" + value + "'");
        };
        case "--history" -> history = path(flag, value);
        case "--dir" -> dir = path(flag, value);
        case "--timeout" -> {
          timeoutMillis = (long) integer(flag, value);
          if (timeoutMillis < 100) throw new UsageException("--timeout must be at least 100 ms, not " + value);
        }
        case "--reads" -> reads = switch (value) {
          case "linearizable" -> ReadConsistency.LINEARIZABLE;
          case "lease" -> ReadConsistency.LEASE;
          case "follower" -> ReadConsistency.FOLLOWER;
          case "stale" -> ReadConsistency.STALE;
          default -> throw new UsageException("--reads must be linearizable, lease, follower or stale, not '" + value + "'");
        };
        case "--sessions" -> sessions = switch (value) {
          case "on" -> true;
          case "off" -> false;
          default -> throw new UsageException("--sessions must be on or off, not '" + value + "'");
        };
        case "--lease-margin" -> {
          leaseMarginMillis = (long) integer(flag, value);
          // Below the nodes' election-timeout-min (the reference 1000ms), which the nodes check at start.
          if (leaseMarginMillis < 0 || leaseMarginMillis > 999) {
            throw new UsageException("--lease-margin must be 0 to 999 ms, not " + value);
          }
        }
        case "--clock-rate" -> clockRates = clockRates(value);
        case "--routes" -> routes = switch (value) {
          case "shared" -> Routes.SHARED;
          case "home" -> Routes.HOME;
          default -> throw new UsageException("--routes must be shared or home, not '" + value + "'");
        };
        case "--attempt-timeout" -> {
          attemptTimeoutMillis = integer(flag, value);
          if (attemptTimeoutMillis < 100 || attemptTimeoutMillis > 10_000) {
            throw new UsageException("--attempt-timeout must be 100 to 10000 ms, not " + value);
          }
        }
        default -> throw new UsageException("unknown flag " + flag);
      }
    }
    if (leaseMarginMillis != null && reads != ReadConsistency.LEASE) {
      throw new UsageException("--lease-margin goes with --reads lease");
    }
    if (!clockRates.isEmpty() && reads != ReadConsistency.LEASE) {
      throw new UsageException("--clock-rate goes with --reads lease (the read lease is what trusts the clocks' rates)");
    }
    if (workload == Workload.ETCD && (faults.contains(Fault.MEMBERSHIP) || faults.contains(Fault.ISOLATE)
        || reads != ReadConsistency.LINEARIZABLE || !clockRates.isEmpty())) {
      throw new UsageException("--workload etcd takes the faults kill, pause and partition, and linearizable reads");
    }
    long chosenSeed = seed != null ? seed : System.nanoTime();
    // The etcd workload: each jetcd call's own deadline (jetcd does not retry; the gateway's session does).
    long deadline = timeoutMillis != null ? timeoutMillis : workload == Workload.ETCD ? 10_000 : sessions ? 30_000 : 2000;
    Path runDir = dir != null ? dir : Path.of("chaos-runs", String.valueOf(chosenSeed));
    return new ChaosOptions(nodes, Duration.ofSeconds(durationSeconds), faults, chosenSeed, clients, workload,
        history != null ? history : runDir.resolve("history.jsonl"), runDir, Duration.ofMillis(deadline), reads,
        sessions, Duration.ofMillis(leaseMarginMillis != null ? leaseMarginMillis : 100),
        java.util.Collections.unmodifiableMap(clockRates), // sorted: the replay flags name them in order
        routes, Duration.ofMillis(attemptTimeoutMillis));
  }

  /** {@code node-1=0.5,node-3=0.9} or {@code all=0.8}: the rate of each node's clock. */
  private static Map<String, Double> clockRates(String value) throws UsageException {
    Map<String, Double> rates = new TreeMap<>();
    for (String entry : value.split(",", -1)) {
      String[] nodeRate = entry.trim().split("=", -1);
      if (nodeRate.length != 2 || !nodeRate[0].matches("all|node-[0-9]+")) {
        throw new UsageException("--clock-rate takes node-N=rate or all=rate, comma separated, not '" + entry + "'");
      }
      double rate;
      try {
        rate = Double.parseDouble(nodeRate[1].trim());
      } catch (NumberFormatException e) {
        throw new UsageException("--clock-rate needs a number for " + nodeRate[0] + ", not '" + nodeRate[1] + "'");
      }
      if (!(rate >= 0.1 && rate <= 10)) throw new UsageException("--clock-rate must be 0.1 to 10, not " + rate);
      if (rates.put(nodeRate[0], rate) != null) throw new UsageException("--clock-rate names " + nodeRate[0] + " twice");
    }
    return rates;
  }

  /** The rate of {@code node}'s clock: its own, else that of {@code all}, else 1. */
  public double clockRate(String node) {
    Double own = clockRates.get(node);
    return own != null ? own : clockRates.getOrDefault("all", 1.0);
  }

  private static Set<Fault> faults(String value) throws UsageException {
    if (value.equals("none")) return EnumSet.noneOf(Fault.class);
    Set<Fault> faults = EnumSet.noneOf(Fault.class);
    List<String> unknown = new ArrayList<>();
    for (String name : value.split(",", -1)) {
      switch (name.trim().toLowerCase(Locale.ROOT)) {
        case "kill" -> faults.add(Fault.KILL);
        case "pause" -> faults.add(Fault.PAUSE);
        case "partition" -> faults.add(Fault.PARTITION);
        case "isolate" -> faults.add(Fault.ISOLATE);
        case "membership" -> faults.add(Fault.MEMBERSHIP);
        default -> unknown.add("'" + name + "'");
      }
    }
    if (!unknown.isEmpty()) {
      throw new UsageException("--faults takes kill, pause, partition, isolate, membership (comma separated) or none; unknown: "
          + String.join(", ", unknown));
    }
    return faults;
  }

  private static int integer(String flag, String value) throws UsageException {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " needs a whole number, not '" + value + "'");
    }
  }

  private static long longValue(String flag, String value) throws UsageException {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " needs a whole number, not '" + value + "'");
    }
  }

  private static Path path(String flag, String value) throws UsageException {
    if (value.isBlank()) throw new UsageException(flag + " needs a path");
    return Path.of(value);
  }

  /** The flags that replay this run's schedule (the seed) with the same settings. */
  public String replayFlags() {
    String faultList = faults.isEmpty() ? "none"
        : String.join(",", faults.stream().map(f -> f.name().toLowerCase(Locale.ROOT)).toList());
    return "--nodes " + nodes + " --duration " + duration.toSeconds() + " --faults " + faultList + " --seed " + seed
        + " --clients " + clients + " --workload " + workload.name().toLowerCase(Locale.ROOT)
        + " --timeout " + requestTimeout.toMillis() + " --reads " + reads.name().toLowerCase(Locale.ROOT)
        + " --sessions " + (sessions ? "on" : "off") + " --routes " + routes.name().toLowerCase(Locale.ROOT)
        + " --attempt-timeout " + attemptTimeout.toMillis()
        + (reads == ReadConsistency.LEASE ? " --lease-margin " + leaseMargin.toMillis() : "")
        + (clockRates.isEmpty() ? "" : " --clock-rate " + String.join(",",
            clockRates.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
  }

  /**
   * What the nodes' configuration adds (HOCON): sessions on or off, and with --reads lease the lease and its
   * margin. The runner's client system gets the same session setting.
   */
  public String nodeSettings() {
    String settings = "pekko-raft.session.enabled = " + (sessions ? "on" : "off");
    if (reads == ReadConsistency.LEASE) {
      settings += "\npekko-raft.read.lease = on\npekko-raft.read.lease-clock-drift-margin = " + leaseMargin.toMillis() + "ms";
    }
    return settings;
  }

  /** What the runner's client system adds: the nodes' session setting, and the clients' attempt timeout. */
  public String clientSettings() {
    return nodeSettings() + "\npekko-raft.session.attempt-timeout = " + attemptTimeout.toMillis() + "ms";
  }
}
