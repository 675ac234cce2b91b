package io.pekkoraft.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The flags of {@code bin/bench w1}, parsed and checked. Every default is the one workload W1 prescribes;
 * a flag the workload does not know, a malformed value or a value out of range is a {@link UsageException}
 * naming the flag.
 *
 * @param clients the client counts, run one after another on one cluster, in this order
 * @param warmupSeconds warm-up of each client count, not measured
 * @param measureSeconds the measured window of each client count
 * @param payloadBytes size of each command (8 bytes of increment, then filler)
 * @param failoverTrials trials of the failover phase, each on a fresh cluster
 * @param failoverModes how the leader is stopped: {@code stop}, {@code crash}, or both, in this order
 * @param phases what runs: {@code throughput}, {@code failover}, or both, in this order
 * @param sessions client sessions ({@code pekko-raft.session.enabled}) on every member and the clients' system:
 *     on by default, as a user gets them; off to compare
 * @param clientKinds how the throughput phase's clients reach the cluster: {@code pekko} (RaftClient, W1's
 *     normal client path), {@code grpc} (the gRPC gateway), or both one after the other on the same cluster
 */
public record W1Options(
    List<Integer> clients,
    int warmupSeconds,
    int measureSeconds,
    int payloadBytes,
    int failoverTrials,
    List<FailoverMode> failoverModes,
    List<Phase> phases,
    boolean sessions,
    List<ClientKind> clientKinds) {

  public static final String USAGE = """
      usage: bin/bench w1 [flags]
        --clients 1,16,64          client counts, run in this order on one cluster (each 1..4096)
        --warmup SECONDS           warm-up of each client count (default 5, 0 allowed)
        --measure SECONDS          measured window of each client count (default 10, at least 1)
        --payload BYTES            bytes per command: 8-byte increment + filler (default 256, 8..1048000)
        --failover-trials N        trials per failover mode, each on a fresh cluster (default 5, 1..1000)
        --failover-mode stop|crash stop = terminate the leader's ActorSystem; crash = first cut it off the
                                   network, then terminate it; both: stop,crash (default stop)
        --phases throughput,failover   what to run, in this order (default throughput,failover)
        --sessions on|off          client sessions (pekko-raft.session.enabled) on the members and the
                                   clients (default on, the framework's default)
        --client pekko|grpc        the throughput phase's clients: pekko = a RaftClient each (W1's client
                                   path), grpc = a gRPC channel each to the leader's gateway; both, one
                                   after the other on one cluster: pekko,grpc (default pekko; the
                                   failover phase always uses the Pekko client)
        --help                     this text
      """;

  private static final Set<String> FLAGS = Set.of("--clients", "--warmup", "--measure", "--payload", "--failover-trials",
      "--failover-mode", "--phases", "--sessions", "--client");

  /** How the leader leaves in a failover trial. */
  public enum FailoverMode {
    /** Terminate the leader's ActorSystem (CoordinatedShutdown runs): a graceful stop. */
    STOP,
    /** Cut the leader off the Raft network in both directions, then terminate its ActorSystem. */
    CRASH;

    public String flagName() {
      return name().toLowerCase();
    }
  }

  /** The parts of W1. */
  public enum Phase {
    THROUGHPUT,
    FAILOVER;

    public String flagName() {
      return name().toLowerCase();
    }
  }

  /** How the clients of the throughput phase reach the cluster. */
  public enum ClientKind {
    /** A {@code RaftClient} per client on the fourth ActorSystem, over Artery: W1's normal client path. */
    PEKKO,
    /** A gRPC channel per client to the leader's gRPC gateway. */
    GRPC;

    public String flagName() {
      return name().toLowerCase();
    }
  }

  /** A bad command line: the message names the flag; the caller prints it with {@link #USAGE} and exits 2. */
  public static final class UsageException extends Exception {
    public UsageException(String message) {
      super(message);
    }
  }

  /** Thrown for {@code --help}: print {@link #USAGE} and exit 0. */
  public static final class HelpRequested extends Exception {
    public HelpRequested() {
      super("help");
    }
  }

  public static W1Options defaults() {
    return new W1Options(List.of(1, 16, 64), 5, 10, 256, 5, List.of(FailoverMode.STOP),
        List.of(Phase.THROUGHPUT, Phase.FAILOVER), true, List.of(ClientKind.PEKKO));
  }

  /** Parses {@code --flag value} pairs (also {@code --flag=value}); anything else is a usage error. */
  public static W1Options parse(List<String> args) throws UsageException, HelpRequested {
    W1Options o = defaults();
    List<Integer> clients = o.clients;
    int warmup = o.warmupSeconds;
    int measure = o.measureSeconds;
    int payload = o.payloadBytes;
    int trials = o.failoverTrials;
    List<FailoverMode> modes = o.failoverModes;
    List<Phase> phases = o.phases;
    boolean sessions = o.sessions;
    List<ClientKind> clientKinds = o.clientKinds;
    for (String[] flagValue : W1Options.flags(args, FLAGS)) {
      String flag = flagValue[0];
      String value = flagValue[1];
      switch (flag) {
        case "--clients" -> clients = intList(flag, value, 1, 4096);
        case "--warmup" -> warmup = integer(flag, value, 0, 3600);
        case "--measure" -> measure = integer(flag, value, 1, 3600);
        case "--payload" -> payload = integer(flag, value, 8, 1_048_000);
        case "--failover-trials" -> trials = integer(flag, value, 1, 1000);
        case "--failover-mode" -> modes = names(flag, value, FailoverMode.class);
        case "--phases" -> phases = names(flag, value, Phase.class);
        case "--sessions" -> sessions = onOff(flag, value);
        case "--client" -> clientKinds = names(flag, value, ClientKind.class);
        default -> throw new IllegalStateException("flag " + flag + " is listed but not read");
      }
    }
    return new W1Options(clients, warmup, measure, payload, trials, modes, phases, sessions, clientKinds);
  }

  /** What the members and the clients' system run with over bench.conf: the session switch. */
  public Config nodeConfig() {
    return ConfigFactory.parseString("pekko-raft.session.enabled = " + (sessions ? "on" : "off"));
  }

  static boolean onOff(String flag, String value) throws UsageException {
    return switch (value.trim().toLowerCase()) {
      case "on" -> true;
      case "off" -> false;
      default -> throw new UsageException(flag + " takes on or off, got '" + value + "'");
    };
  }

  /**
   * The {@code --flag value} and {@code --flag=value} pairs of {@code args}, in order, each flag at most once and,
   * unless {@code known} is null, one of {@code known}; {@code --help} or {@code -h} anywhere asks for the usage.
   */
  static List<String[]> flags(List<String> args, Set<String> known) throws UsageException, HelpRequested {
    List<String[]> pairs = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) throw new HelpRequested();
      if (!arg.startsWith("--")) throw new UsageException("unexpected argument '" + arg + "': flags start with --");
      String flag = arg;
      String value;
      int eq = arg.indexOf('=');
      if (eq >= 0) {
        flag = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else {
        if (known != null && !known.contains(flag)) throw new UsageException("unknown flag " + flag);
        if (i + 1 >= args.size()) throw new UsageException(flag + " needs a value");
        value = args.get(++i);
      }
      if (known != null && !known.contains(flag)) throw new UsageException("unknown flag " + flag);
      if (!seen.add(flag)) throw new UsageException(flag + " given twice");
      pairs.add(new String[] {flag, value});
    }
    return pairs;
  }

  static int integer(String flag, String value, int min, int max) throws UsageException {
    int n;
    try {
      n = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(flag + " must be a whole number, got '" + value + "'");
    }
    if (n < min || n > max) throw new UsageException(flag + " must be between " + min + " and " + max + ", got " + n);
    return n;
  }

  static List<Integer> intList(String flag, String value, int min, int max) throws UsageException {
    List<Integer> list = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      int n = integer(flag, part, min, max);
      if (list.contains(n)) throw new UsageException(flag + " lists " + n + " twice");
      list.add(n);
    }
    return List.copyOf(list);
  }

  private static <E extends Enum<E>> List<E> names(String flag, String value, Class<E> type) throws UsageException {
    List<E> list = new ArrayList<>();
    List<String> allowed = new ArrayList<>();
    for (E e : type.getEnumConstants()) allowed.add(e.name().toLowerCase());
    for (String part : value.split(",", -1)) {
      String name = part.trim().toLowerCase();
      if (!allowed.contains(name)) {
        throw new UsageException(flag + " takes " + String.join(", ", allowed) + " (comma-separated), got '" + part + "'");
      }
      E e = Enum.valueOf(type, name.toUpperCase());
      if (list.contains(e)) throw new UsageException(flag + " lists " + name + " twice");
      list.add(e);
    }
    return List.copyOf(list);
  }
}
