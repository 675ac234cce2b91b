package io.pekkoraft.consensus;

import io.pekkoraft.consensus.impl.AppliedHistory;
import io.pekkoraft.consensus.impl.RaftServer;
import io.pekkoraft.consensus.impl.RaftSettings;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferLeadership;
import io.pekkoraft.consensus.protocol.TransferReply;
import io.pekkoraft.consensus.transport.ReceptionistTransport;
import io.pekkoraft.persistence.serialization.RaftSerialization;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The entry point: starts Raft groups on this node of a Pekko Cluster.
 *
 * <pre>{@code
 * RaftGroup<Command, Query, Long> counter =
 *     PekkoRaft.get(system).init(ReplicatedStateMachine.of("counter", CounterStateMachine::new));
 * counter.submit(new Increment(1)).thenAccept(value -> ...);
 * }</pre>
 *
 * The bootstrap members of every group come from {@code pekko-raft.members}; this node's member id from
 * {@code pekko-raft.self-id}, or else from the member whose address is this node's cluster address. A
 * self-id that is none of the bootstrap members starts a joining node: it runs its server, reaches the
 * bootstrap members, and waits as a non-member until a leader adds it (at its cluster address).
 */
public final class PekkoRaft implements Extension {

  private static final ExtensionId<PekkoRaft> ID = new ExtensionId<>() {
    @Override
    public PekkoRaft createExtension(ActorSystem<?> system) {
      return new PekkoRaft(system);
    }
  };

  private final ActorSystem<?> system;
  private final RaftSettings settings;
  /** pekko-raft.members, parsed and checked once, for the self id and every group's transport. */
  private final Map<String, Address> memberAddresses;
  private final Map<String, RaftGroup<?, ?, ?>> groups = new ConcurrentHashMap<>();

  private PekkoRaft(ActorSystem<?> system) {
    this.system = system;
    RaftSettings configured = RaftSettings.fromConfig(system.settings().config());
    checkFrameSize(system.settings().config(), configured);
    this.memberAddresses = parseMembers(configured);
    this.settings = configured.withSelfId(resolveSelfId(configured.selfId(), memberAddresses, system));
  }

  public static PekkoRaft get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** This node's member id. */
  public String selfId() {
    return settings.selfId();
  }

  /** The handle of a group this node started with {@link #init}, if it did. */
  public Optional<RaftGroup<?, ?, ?>> group(String groupId) {
    return Optional.ofNullable(groups.get(groupId));
  }

  /** Start the group on this node (once; later calls return the same handle). */
  @SuppressWarnings("unchecked")
  public <C, Q, R> RaftGroup<C, Q, R> init(ReplicatedStateMachine<C, Q, R> declaration) {
    return (RaftGroup<C, Q, R>) groups.computeIfAbsent(declaration.groupId(), groupId -> {
      CompletableFuture<String> stopped = new CompletableFuture<>();
      AppliedHistory history = AppliedHistory.fromConfig(system.settings().config());
      RaftSettings groupSettings = declaration.leaseClock() == null ? settings : settings.withClock(declaration.leaseClock());
      ActorRef<ServerCommand> server = system.systemActorOf(
          RaftServer.create(groupId, groupSettings,
              declaration.transportDecorator().apply(new ReceptionistTransport(groupId, memberAddresses)),
              declaration.factory(), stopped::complete, history),
          RaftServer.actorName(groupId), Props.empty());
      if (!memberAddresses.containsKey(settings.selfId())) {
        system.log().info("{} is not in pekko-raft.members: it joins group {} as a non-member and waits until a leader"
            + " adds it", settings.selfId(), groupId);
      }
      handOverLeadershipOnShutdown(groupId, server);
      return new RaftGroup<C, Q, R>(groupId, settings.selfId(), server, system,
          RaftSerialization.get(system).codec(), settings.askTimeout(), stopped, history);
    });
  }

  /**
   * A graceful stop of this node (CoordinatedShutdown, which {@code ActorSystem.terminate()} runs) first
   * hands the group's leadership over, if this node leads it, so the group has a new leader within about
   * a round trip instead of after an election timeout. It runs in the first phase,
   * {@code before-service-unbind}: the node is then still a full cluster member, reachable by its peers
   * and listed by the receptionist, which the hand-over needs (later phases unbind services and leave the
   * cluster). The phase's timeout (5 s by default) bounds the wait, as does
   * {@code pekko-raft.leadership-transfer-timeout}; either way the shutdown then goes on.
   */
  private void handOverLeadershipOnShutdown(String groupId, ActorRef<ServerCommand> server) {
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(),
        "pekko-raft-hand-over-" + groupId, () -> handOverLeadership(groupId, server));
  }

  private CompletionStage<Done> handOverLeadership(String groupId, ActorRef<ServerCommand> server) {
    Duration wait = settings.leadershipTransferTimeout().plus(settings.heartbeatInterval());
    return AskPattern.<ServerCommand, TransferReply>ask(
            server, replyTo -> new TransferLeadership(null, false, replyTo), wait, system.scheduler())
        .handleAsync((reply, failure) -> {
          if (reply instanceof TransferReply.Transferred t) {
            system.log().info("{} handed leadership of group {} over to {} before shutting down", selfId(), groupId,
                t.leaderId());
          } else if (reply instanceof TransferReply.Rejected r) {
            system.log().info("{} shuts down leading group {}: {}", selfId(), groupId, r.reason());
          } else if (!(reply instanceof TransferReply.NotLeader)) { // a follower has nothing to hand over
            system.log().warn("{} shuts down without handing leadership of group {} over; the others elect a"
                + " leader after their election timeout: {}", selfId(), groupId, failure != null ? failure : reply);
          }
          return Done.getInstance();
        }, system.executionContext()); // not the common pool: see impl.client.RequestLoop
  }

  /** Room for the envelope, Kryo's framing and the per-entry fields of a full batch. */
  private static final long FRAME_OVERHEAD = 64 * 1024;

  /**
   * Artery drops a message larger than its maximum frame, and a dropped AppendEntries batch or snapshot
   * chunk would be resent, and dropped, forever. So the largest message Raft sends must fit, checked at start.
   */
  static void checkFrameSize(com.typesafe.config.Config config, RaftSettings settings) {
    String provider = config.getString("pekko.actor.provider");
    boolean remote = provider.equals("cluster") || provider.equals("remote") || provider.contains("Cluster")
        || provider.contains("Remote");
    if (!remote) return;
    long frame = config.getBytes("pekko.remote.artery.advanced.maximum-frame-size");
    long needed = Math.max(settings.batchBytesMax(), settings.snapshotChunkBytes()) + FRAME_OVERHEAD;
    if (frame < needed) {
      throw new IllegalArgumentException("pekko.remote.artery.advanced.maximum-frame-size = " + frame + " bytes is"
          + " too small for the messages Raft sends: pekko-raft.replication.batch-bytes-max = "
          + settings.batchBytesMax() + " and pekko-raft.snapshot.chunk-size = " + settings.snapshotChunkBytes()
          + " need at least " + needed + " bytes (64 KiB of framing above the larger one). Start application.conf"
          + " with include \"pekko-raft-node.conf\" (it sets 2 MiB), or set"
          + " pekko.remote.artery.advanced.maximum-frame-size = 2 MiB, or lower those two settings");
    }
  }

  static Map<String, Address> parseMembers(RaftSettings settings) {
    if (settings.members().isEmpty()) {
      throw new IllegalArgumentException("pekko-raft.members is empty: list every member's id and address");
    }
    Map<String, Address> members = new LinkedHashMap<>();
    for (Map.Entry<String, String> m : settings.members().entrySet()) {
      try {
        members.put(m.getKey(), AddressFromURIString.parse(m.getValue()));
      } catch (Exception e) { // also java.net.MalformedURLException, checked but thrown from Scala
        throw new IllegalArgumentException("pekko-raft.members: the address of " + m.getKey() + ", '" + m.getValue()
            + "', is not a Pekko address like pekko://system@host:port", e);
      }
    }
    return members;
  }

  private static String resolveSelfId(String configuredSelfId, Map<String, Address> members, ActorSystem<?> system) {
    if (!configuredSelfId.isEmpty()) {
      if (!members.containsKey(configuredSelfId)) checkJoiningAddress(configuredSelfId, members, system);
      return configuredSelfId;
    }
    Address self;
    try {
      self = Cluster.get(system).selfMember().address();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("pekko-raft.self-id is empty, so this node's member id is looked up by its"
          + " cluster address, but this ActorSystem is not a cluster node (set pekko.actor.provider = cluster): " + e, e);
    }
    for (Map.Entry<String, Address> m : members.entrySet()) {
      if (m.getValue().equals(self)) return m.getKey();
    }
    throw new IllegalArgumentException("this node's cluster address " + self + " is none of pekko-raft.members "
        + members + "; set pekko-raft.self-id (to a new member id, for a node that joins the group as a non-member) or"
        + " fix the addresses (host and port exactly as in pekko.remote.artery.canonical)");
  }

  /**
   * A joining node (its self-id is none of the bootstrap members) is reached at its cluster address, so that
   * address must not be a bootstrap member's: that would be the member's node started under another id.
   */
  private static void checkJoiningAddress(String selfId, Map<String, Address> members, ActorSystem<?> system) {
    Address self;
    try {
      self = Cluster.get(system).selfMember().address();
    } catch (RuntimeException notACluster) {
      return; // peers cannot reach it either way; the server still waits as a non-member
    }
    for (Map.Entry<String, Address> m : members.entrySet()) {
      if (m.getValue().equals(self)) {
        throw new IllegalArgumentException("pekko-raft.self-id '" + selfId + "' is not one of pekko-raft.members "
            + members.keySet() + ", but this node's cluster address " + self + " is the address of member " + m.getKey()
            + "; set pekko-raft.self-id = \"" + m.getKey() + "\" to start that member, or give a joining node an"
            + " address of its own");
      }
    }
  }
}
