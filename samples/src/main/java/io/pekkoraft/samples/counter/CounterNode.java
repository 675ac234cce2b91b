package io.pekkoraft.samples.counter;

import com.typesafe.config.Config;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.gateway.PekkoRaftGateway;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node of the replicated counter as its own process: one ActorSystem on 127.0.0.1, one member of the
 * Pekko Cluster and of the Raft group "counter", with its Raft log in the durable journal under its own data
 * directory. Start three of them (node-1, node-2, node-3) to get the cluster that {@link CounterSample} runs in
 * one JVM:
 *
 * <pre>
 * java -cp ... io.pekkoraft.samples.counter.CounterNode --id node-2 --ports 25521,25522,25523 --data /tmp/counter/node-2
 * </pre>
 *
 * Each argument can also be a system property: {@code -Dcounter.id}, {@code -Dcounter.ports},
 * {@code -Dcounter.data}. Member {@code node-i} listens on the i-th port.
 *
 * <p>Each node also serves the group over gRPC ({@code pekko-raft-grpc-gateway}, JSON payloads by
 * {@link CounterCodec}) on 127.0.0.1, port {@value #GATEWAY_PORT_BASE} + i for {@code node-i} (node-1 on 9091,
 * node-2 on 9092, ...), or on {@code --gateway-port P} ({@code -Dcounter.gateway-port}; 0 picks a free port,
 * {@code off} serves none); it logs the endpoint once bound. The examples in {@code grpc-gateway/examples} call it.
 *
 * <p>The node prints one line
 * {@code READY <id>} on standard output once its Raft server has recovered its log and taken its first role;
 * everything else (logging) goes to standard error. It runs until it is killed; killed with SIGKILL and started
 * again with the same data directory, it recovers its term, vote and log from the journal.
 *
 * <p>Every node lists all members as seed nodes, so a restarted node joins whichever of the others is up (the
 * first seed forms a new cluster only when none of the others answers). A restarted node has the same host and
 * port but a new incarnation: the cluster removes the old one when the new one joins, and the Split Brain
 * Resolver downs a node that stays unreachable.
 */
public final class CounterNode {

  private static final Logger log = LoggerFactory.getLogger(CounterNode.class);

  /** node-i serves the gRPC gateway on this port + i unless --gateway-port says otherwise. */
  static final int GATEWAY_PORT_BASE = 9090;

  private CounterNode() {}

  public static void main(String[] args) {
    // Standard output carries only the READY line; the logging (logback.xml writes to System.out) goes to stderr.
    PrintStream stdout = System.out;
    System.setOut(System.err);

    Map<String, String> options = parse(args);
    String id = option(options, "id");
    List<Integer> ports = new ArrayList<>();
    for (String port : option(options, "ports").split(",")) ports.add(Integer.parseInt(port.trim()));
    Path data = Path.of(option(options, "data")).toAbsolutePath();
    int index = memberIndex(id, ports.size());
    String gatewayPort = options.getOrDefault("gateway-port",
        System.getProperty("counter.gateway-port", String.valueOf(GATEWAY_PORT_BASE + index + 1)));

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), CounterSample.SYSTEM_NAME,
        config(id, ports, index, data, gatewayPort));
    ActorRef<RoleChanged> ready = system.systemActorOf(
        Behaviors.receive(RoleChanged.class)
            .onMessage(RoleChanged.class, change -> {
              if (!change.groupId().equals(CounterSample.GROUP_ID) || !change.memberId().equals(id)) return Behaviors.same();
              // The first role change comes after recovery: the server is serving from now on.
              synchronized (stdout) {
                stdout.println("READY " + id);
                stdout.flush();
              }
              return Behaviors.stopped();
            })
            .build(),
        "ready-reporter", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, ready));
    PekkoRaft.get(system).init(ReplicatedStateMachine.of(CounterSample.GROUP_ID, Counter::new));
    if (!gatewayPort.equals("off")) serveGateway(system, id);
  }

  /**
   * Serves the counter over gRPC at pekko-raft.gateway.host and port. A port that cannot be bound stops the
   * node: a node without the gateway it was asked for would look healthy to the cluster and unreachable to clients.
   */
  private static void serveGateway(ActorSystem<Void> system, String id) {
    PekkoRaftGateway.get(system).register(CounterSample.GROUP_ID, new CounterCodec()).start()
        .whenComplete((binding, failure) -> {
          if (failure != null) {
            log.error("{} could not serve the gRPC gateway on {}:{} ({}); stopping.", id,
                PekkoRaftGateway.get(system).settings().host(), PekkoRaftGateway.get(system).settings().port(),
                failure.toString());
            system.terminate();
          } else {
            log.info("{} serves group {} over gRPC at {}:{} (pekkoraft.v1.RaftService; a command is JSON like {},"
                + " the query {}).", id, CounterSample.GROUP_ID, binding.localAddress().getHostString(),
                binding.localAddress().getPort(), "{\"delta\":5}", "{}");
          }
        });
  }

  /**
   * How a process on {@code port} takes part in the Pekko Cluster of the nodes on {@code nodePorts}:
   * shared by the nodes and by a client process that only talks to them.
   */
  static String clusterMembership(int port, List<Integer> nodePorts) {
    String seeds = nodePorts.stream().map(p -> "\"" + CounterSample.address(p) + "\"").collect(Collectors.joining(", "));
    return "pekko.remote.artery.canonical.port = " + port + "\n"
        + "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
        // Any member may be the one restarting: each knows all of them, with node-1 first.
        + "pekko.cluster.seed-nodes = [" + seeds + "]\n"
        // A restarted node's join waits until its old incarnation is removed; retry soon instead of after 10 s.
        + "pekko.cluster.retry-unsuccessful-join-after = 2s\n"
        // A node killed and not (yet) restarted is downed once the others agree it stays unreachable.
        + "pekko.cluster.downing-provider-class = \"org.apache.pekko.cluster.sbr.SplitBrainResolverProvider\"\n"
        + "pekko.cluster.split-brain-resolver.active-strategy = keep-majority\n"
        + "pekko.cluster.split-brain-resolver.stable-after = 5s\n"
        // Nodes here are killed on purpose again and again; that is not a reason to down everyone.
        + "pekko.cluster.split-brain-resolver.down-all-when-unstable = off\n";
  }

  /** counter.conf, with what this node can only learn from its arguments, and the durable journal. */
  static Config config(String id, List<Integer> ports, int index, Path data, String gatewayPort) {
    String node = clusterMembership(ports.get(index), ports)
        // A node the cluster has downed (or that failed) ends its process: restarting it is the caller's job.
        + "pekko.coordinated-shutdown.exit-jvm = on\n"
        + "pekko-raft.self-id = \"" + id + "\"\n"
        + CounterSample.membersSetting(ports)
        // The durable journal, one directory per node, whatever counter.conf chooses.
        + "pekko-raft.journal-plugin-id = \"pekko-raft.journal\"\n"
        + (gatewayPort.equals("off") ? "" : "pekko-raft.gateway.port = " + Integer.parseInt(gatewayPort) + "\n");
    return CounterSample.counterConfig(node, data.resolve("journal"));
  }

  /** {@code node-i} is the i-th member, listening on the i-th port. */
  private static int memberIndex(String id, int memberCount) {
    for (int i = 0; i < memberCount; i++) {
      if (id.equals(CounterSample.memberId(i))) return i;
    }
    throw new IllegalArgumentException("--id must be one of node-1 .. node-" + memberCount + " (one per port), not " + id);
  }

  private static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("usage: CounterNode --id node-N --ports P1,P2,P3 --data DIR"
            + " [--gateway-port P|0|off] (at " + args[i] + ")");
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }

  private static String option(Map<String, String> options, String name) {
    String value = options.getOrDefault(name, System.getProperty("counter." + name));
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("missing --" + name + " (or -Dcounter." + name + ")");
    }
    return value;
  }
}
