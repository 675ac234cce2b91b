package io.pekkoraft.consensus.behavior;

import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.SimGroups;
import io.pekkoraft.consensus.behavior.EntityMessages.Proposal;
import io.pekkoraft.consensus.behavior.EntityMessages.SeqNrQuery;
import io.pekkoraft.consensus.sim.SimCluster;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A {@link SimCluster} whose members run {@link TestCounter} entities: each member's state machine is an
 * {@link EntityStore}, and each member has an {@link EntityHost} on its own {@link RaftGroup} handle. Hosts
 * reach each other directly (the simulated network carries only the Raft messages).
 */
final class BehaviorSim implements AutoCloseable {

  static final Duration ASK = Duration.ofSeconds(20);

  final SimCluster c;
  final TestCounter.Recorder recorder = new TestCounter.Recorder();
  private final UnaryOperator<ReplicatedEntity<TestCounter.Command, TestCounter.Added, Long>> settings;
  private final Map<String, EntityStore<TestCounter.Command, TestCounter.Added, Long>> stores = new ConcurrentHashMap<>();
  private final Map<String, String> instances = new ConcurrentHashMap<>();
  private final Map<String, ActorRef<EntityHost.HostCommand>> hosts = new ConcurrentHashMap<>();
  private int hostIncarnation;

  BehaviorSim(int n, long seed, String extraConfig,
      UnaryOperator<ReplicatedEntity<TestCounter.Command, TestCounter.Added, Long>> settings) {
    this(n, seed, extraConfig, settings, (member, e) -> e);
  }

  /** {@code storeSettings} adds a member's own settings of its state machine (what it keeps in memory). */
  BehaviorSim(int n, long seed, String extraConfig,
      UnaryOperator<ReplicatedEntity<TestCounter.Command, TestCounter.Added, Long>> settings,
      BiFunction<String, ReplicatedEntity<TestCounter.Command, TestCounter.Added, Long>,
          ReplicatedEntity<TestCounter.Command, TestCounter.Added, Long>> storeSettings) {
    this.settings = settings;
    this.c = SimCluster.startWith(n, seed,
        "pekko-raft.serialization.registrars += \"" + TestKryoRegistrar.class.getName() + "\"\n" + extraConfig,
        (member, instance) -> {
          EntityStore<TestCounter.Command, TestCounter.Added, Long> store = storeSettings.apply(member, settings.apply(
              ReplicatedEntity.of(SimCluster.GROUP, id -> new TestCounter(id, member, instance, recorder)))).newStore();
          stores.put(member, store);
          instances.put(member, instance);
          return store;
        });
    for (String m : c.members()) startHost(m);
    c.settle();
  }

  BehaviorSim(int n, long seed) {
    this(n, seed, "", UnaryOperator.identity());
  }

  void startHost(String member) {
    RaftGroup<Proposal, SeqNrQuery, Object> group = SimGroups.groupOn(c, member, ASK);
    ReplicatedEntity<TestCounter.Command, TestCounter.Added, Long> deciding = settings.apply(
        ReplicatedEntity.of(SimCluster.GROUP, id -> new TestCounter(id, member, null, recorder)));
    hosts.put(member, c.testKit.spawn(EntityHost.create(member, group, () -> stores.get(member), deciding, hosts::get),
        "host-" + member + "-" + (++hostIncarnation)));
  }

  void stopHost(String member) {
    c.testKit.stop(hosts.remove(member), Duration.ofSeconds(10));
    c.settle();
  }

  /** Crash a member: its server and its host. */
  void crash(String member) {
    stopHost(member);
    c.crash(member);
  }

  void restart(String member) {
    c.restart(member);
    startHost(member);
    c.settle();
  }

  ActorRef<EntityHost.HostCommand> host(String member) {
    return hosts.get(member);
  }

  EntityRef<TestCounter.Command> entity(String via, String entityId) {
    return ReplicatedEntityGroup.<TestCounter.Command>of(SimCluster.GROUP, hosts.get(via), c.testKit.system(), ASK)
        .entityRefFor(entityId);
  }

  CompletableFuture<Long> add(String via, String entityId, long delta) {
    return entity(via, entityId).<Long>ask(replyTo -> new TestCounter.Add(delta, replyTo), ASK).toCompletableFuture();
  }

  CompletableFuture<Long> get(String via, String entityId) {
    return entity(via, entityId).<Long>ask(TestCounter.Get::new, ASK).toCompletableFuture();
  }

  EntityStore<TestCounter.Command, TestCounter.Added, Long> store(String member) {
    return stores.get(member);
  }

  /** The member's current instance (member#incarnation), as the recorder names it. */
  String instance(String member) {
    return instances.get(member);
  }

  long value(String member, String entityId) {
    return stores.get(member).entity(entityId).state();
  }

  @Override
  public void close() {
    c.close();
  }
}
