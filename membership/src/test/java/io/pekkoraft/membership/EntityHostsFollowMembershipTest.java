package io.pekkoraft.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.esotericsoftware.kryo.Kryo;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.behavior.CommandHandler;
import io.pekkoraft.consensus.behavior.EventHandler;
import io.pekkoraft.consensus.behavior.ReplicatedBehavior;
import io.pekkoraft.consensus.behavior.ReplicatedEntities;
import io.pekkoraft.consensus.behavior.ReplicatedEntity;
import io.pekkoraft.consensus.behavior.ReplicatedEntityGroup;
import io.pekkoraft.persistence.serialization.KryoRegistrar;
import io.pekkoraft.testkit.LocalCluster;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;

// Replicated entities reach a leader added at run time: node-4, which pekko-raft.members does not list, is
// added as a voter at its own address and made the leader; a command through an EntityRef on a node outside
// the group and one through a bootstrap member's EntityRef both reach node-4's host, which decides and answers.
class EntityHostsFollowMembershipTest {

  private static final String GROUP = "tallies";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration ASK = Duration.ofSeconds(10);
  private static final Config CONFIG = ConfigFactory.parseString(
      "pekko-raft.serialization.registrars += \"" + TallyKryoRegistrar.class.getName() + "\"")
      .withFallback(ConfigFactory.parseResources("membership-artery-test.conf",
          ConfigParseOptions.defaults().setAllowMissing(false)));

  /** A counter entity: Add replicates its delta and answers the new value. */
  public static final class Tally extends ReplicatedBehavior<Tally.Add, Tally.Added, Long> {
    public record Add(long delta, ActorRef<Long> replyTo) {}

    public record Added(long delta) {}

    public Tally(String entityId) {}

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public CommandHandler<Add, Added, Long> commandHandler() {
      return newCommandHandlerBuilder()
          .forAnyState()
          .onCommand(Add.class, (state, add) -> Effect().replicate(new Added(add.delta())).thenReply(add.replyTo(), s -> s))
          .build();
    }

    @Override
    public EventHandler<Long, Added> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onEvent(Added.class, (state, added) -> state + added.delta()).build();
    }
  }

  public static final class TallyKryoRegistrar implements KryoRegistrar {
    public TallyKryoRegistrar() {}

    @Override
    public void register(Kryo kryo) {
      kryo.register(Tally.Add.class, 1200);
      kryo.register(Tally.Added.class, 1201);
    }
  }

  @Test
  void entityRefsOnAMemberAndOnANonMemberReachALeaderAddedAtRunTime() throws Exception {
    try (LocalCluster cluster = LocalCluster.builder().members(3).config(CONFIG).withClientSystem().start()) {
      ReplicatedEntity<Tally.Add, Tally.Added, Long> declaration = ReplicatedEntity.of(GROUP, Tally::new);
      for (String id : cluster.memberIds()) ReplicatedEntities.get(cluster.system(id)).init(declaration);
      RoleChanged first = cluster.awaitLeader(GROUP, 0, WAIT);
      ReplicatedEntityGroup<Tally.Add> outside = ReplicatedEntities.get(cluster.clientSystem()).initClient(declaration);
      String bootstrapMember = cluster.memberIds().stream().filter(id -> !id.equals(first.memberId())).findFirst()
          .orElseThrow();
      ReplicatedEntityGroup<Tally.Add> onMember = ReplicatedEntities.get(cluster.system(bootstrapMember)).init(declaration);
      assertEquals(1L, add(outside, 1), "the non-member reaches the bootstrap leader");

      ActorSystem<Void> fourth = cluster.join("node-4");
      ReplicatedEntities.get(fourth).init(declaration);
      String address = fourth.address().toString();
      Membership added = get(RaftMembership.get(cluster.system(first.memberId())).group(GROUP).addVoter("node-4", address));
      assertTrue(added.voters().contains("node-4"), "node-4 votes: " + added);
      assertEquals(address, added.addresses().get("node-4"), "its address is recorded in the configuration");
      assertEquals("node-4", get(PekkoRaft.get(cluster.system(first.memberId())).group(GROUP).orElseThrow()
          .transferLeadership("node-4")));

      assertEquals(2L, add(outside, 1), "the non-member's command is decided and answered by node-4");
      assertEquals(12L, add(onMember, 10), "a bootstrap member's command is decided and answered by node-4");
      assertEquals("node-4", cluster.awaitLeader(GROUP, first.term(), WAIT).memberId(), "node-4 still leads");
    }
  }

  private static long add(ReplicatedEntityGroup<Tally.Add> via, long delta) throws Exception {
    return get(via.entityRefFor("t").<Long>ask(replyTo -> new Tally.Add(delta, replyTo), ASK));
  }

  private static <T> T get(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }
}
