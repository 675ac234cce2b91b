package io.pekkoraft.chaos.node;

import io.pekkoraft.chaos.ChaosCluster;
import io.pekkoraft.chaos.kv.KvStateMachine;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.etcd.PekkoRaftEtcd;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.testkit.TestNetwork;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One node of a chaos run, as its own process: an ActorSystem on 127.0.0.1, a member of the Raft group
 * "chaos" running {@link KvStateMachine} on the durable journal in its data directory, with
 * a {@link TestNetwork} around its Raft transport.
 *
 * <pre>
 * java -cp ... io.pekkoraft.chaos.node.ChaosNode --id node-2 --port 25522 --seeds 25521,25522,25523 \
 *     --members node-1=25521,node-2=25522,node-3=25523 --data /tmp/chaos/node-2
 * </pre>
 *
 * {@code --etcd-port} (optional, the etcd workload): the group "chaos" is then the etcd API's
 * ({@link PekkoRaftEtcd}, its {@code EtcdStateMachine} instead of {@link KvStateMachine}), served by the node's gRPC
 * gateway on 127.0.0.1 at that port, its Raft transport wrapped by the same {@link TestNetwork}.
 * {@code --settings} (optional) is HOCON the run adds to the node's configuration (sessions, the read lease).
 * {@code --clock-rate} (optional, default 1) runs the node as one whose clock runs at that rate would: every
 * duration Raft times on it (elections, heartbeats, check-quorum, the read lease) is its configured value
 * divided by the rate ({@link ChaosCluster#atClockRate}).
 * {@code --members} is its {@code pekko-raft.members} (id to port on 127.0.0.1): the bootstrap members, or for
 * a spare node that joins the running group, the group's members when it starts (its id is none of them, so it
 * waits as a non-member until a leader adds it).
 *
 * The runner drives it through standard input and output, one line each way; logging goes to stderr.
 * <ul>
 *   <li>out {@code READY <id>}: recovered and serving (first role taken);
 *   <li>out {@code ROLE <role> <term> <leader id or ->}: each role change;
 *   <li>in {@code block node-1,node-3}: drop every Raft message sent to those members from now on; answered
 *       {@code BLOCKED node-1,node-3};
 *   <li>in {@code heal}: deliver to everyone again; answered {@code HEALED <messages dropped so far>}.
 *   <li>in {@code lead}: ask for the leadership ({@link RaftGroup#transferLeadership(String)} to itself);
 *       answered {@code LEAD <the leader afterwards>} or {@code LEAD-FAILED <why>}.
 * </ul>
 * When standard input closes (the runner is gone), the node halts, so it never outlives its runner.
 */
public final class ChaosNode {

  private ChaosNode() {}

  public static void main(String[] args) {
    PrintStream out = System.out;
    System.setOut(System.err); // stdout is the protocol; anything else printed goes to the log
    try {
      start(args, out);
    } catch (RuntimeException e) {
      // A node that cannot start (bad arguments, a configuration its group refuses) ends its process at once,
      // so that the runner sees it exit instead of waiting for a READY that never comes.
      System.err.println("ChaosNode cannot start: " + e);
      e.printStackTrace(System.err);
      Runtime.getRuntime().halt(1);
    }
  }

  private static void start(String[] args, PrintStream out) {
    String id = null;
    int port = 0;
    List<Integer> seeds = new ArrayList<>();
    Map<String, Integer> members = new LinkedHashMap<>();
    Path data = null;
    String settings = "";
    double clockRate = 1;
    int etcdPort = 0;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--id" -> id = args[i + 1];
        case "--port" -> port = Integer.parseInt(args[i + 1].trim());
        case "--seeds" -> Arrays.stream(args[i + 1].split(",")).map(String::trim).map(Integer::valueOf).forEach(seeds::add);
        case "--members" -> {
          for (String member : args[i + 1].split(",")) {
            String[] idPort = member.trim().split("=");
            if (idPort.length != 2) throw new IllegalArgumentException("--members takes id=port,..., not " + member);
            members.put(idPort[0], Integer.valueOf(idPort[1]));
          }
        }
        case "--data" -> data = Path.of(args[i + 1]).toAbsolutePath();
        case "--settings" -> settings = args[i + 1];
        case "--clock-rate" -> clockRate = Double.parseDouble(args[i + 1].trim());
        case "--etcd-port" -> etcdPort = Integer.parseInt(args[i + 1].trim());
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (id == null || port == 0 || seeds.isEmpty() || members.isEmpty() || data == null || args.length % 2 != 0) {
      throw new IllegalArgumentException(
          "usage: ChaosNode --id node-N --port P --seeds P1,P2,... --members node-1=P1,... --data DIR [--settings HOCON] [--clock-rate R]"
              + " [--etcd-port P]");
    }
    if (etcdPort != 0) {
      // The etcd workload: the group "chaos" is the etcd API's store, served by the gateway on etcdPort.
      settings = "pekko-raft.etcd.group = \"" + ChaosCluster.GROUP_ID + "\"\npekko-raft.gateway.port = " + etcdPort + "\n"
          + settings;
    }

    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), ChaosCluster.SYSTEM_NAME,
        ChaosCluster.node(id, port, seeds, members, data, settings, clockRate));
    reportRoles(system, id, out);
    TestNetwork network = new TestNetwork();
    if (etcdPort != 0) {
      RaftGroup<?, ?, ?> etcd = PekkoRaftEtcd.get(system).start(network::decorate);
      try {
        PekkoRaftGateway.get(system).start().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(id + ": the gateway did not bind 127.0.0.1:" + etcdPort + ": " + e, e);
      }
      obeyCommands(id, network, etcd, out);
      return;
    }
    ReplicatedStateMachine<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> group =
        ReplicatedStateMachine.of(ChaosCluster.GROUP_ID, KvStateMachine::new).withTransport(network::decorate);
    if (clockRate != 1) {
      System.err.println("ChaosNode " + id + ": its clock runs at " + clockRate + " times the real one: election timeout "
          + system.settings().config().getDuration("pekko-raft.election-timeout-min").toMillis() + "-"
          + system.settings().config().getDuration("pekko-raft.election-timeout-max").toMillis() + " ms, heartbeats every "
          + system.settings().config().getDuration("pekko-raft.heartbeat-interval").toMillis() + " ms, lease margin "
          + system.settings().config().getDuration("pekko-raft.read.lease-clock-drift-margin").toMillis() + " ms of real time");
    }
    RaftGroup<KvStateMachine.Command, KvStateMachine.Read, KvStateMachine.Result> handle = PekkoRaft.get(system).init(group);
    obeyCommands(id, network, handle, out);
  }

  private static void reportRoles(ActorSystem<?> system, String id, PrintStream out) {
    ActorRef<RoleChanged> reporter = system.systemActorOf(Behaviors.setup(ctx -> {
      boolean[] ready = {false};
      return Behaviors.receive(RoleChanged.class).onMessage(RoleChanged.class, change -> {
        if (!change.groupId().equals(ChaosCluster.GROUP_ID) || !change.memberId().equals(id)) return Behaviors.same();
        // The first role change comes after recovery: the server is serving from now on.
        if (!ready[0]) {
          ready[0] = true;
          say(out, "READY " + id);
        }
        say(out, "ROLE " + change.role() + " " + change.term() + " " + (change.leaderId() == null ? "-" : change.leaderId()));
        return Behaviors.same();
      }).build();
    }), "chaos-role-reporter", Props.empty());
    system.eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, reporter));
  }

  /** Reads commands until standard input closes, then halts the process. */
  private static void obeyCommands(String id, TestNetwork network, RaftGroup<?, ?, ?> group, PrintStream out) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String command = line.trim();
        if (command.isEmpty()) continue;
        if (command.equals("heal")) {
          network.heal();
          say(out, "HEALED " + network.counts(id).dropped());
        } else if (command.equals("lead")) {
          group.transferLeadership(id).whenComplete((leader, failure) -> say(out, failure == null ? "LEAD " + leader
              : "LEAD-FAILED " + (failure.getCause() != null ? failure.getCause() : failure)));
        } else if (command.startsWith("block ")) {
          Set<String> peers = new LinkedHashSet<>(Arrays.asList(command.substring(6).trim().split(",")));
          network.block(id, peers);
          say(out, "BLOCKED " + String.join(",", peers));
        } else {
          say(out, "ERROR unknown command: " + command);
        }
      }
    } catch (IOException e) {
      // the runner is gone
    }
    Runtime.getRuntime().halt(0);
  }

  private static void say(PrintStream out, String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
