package io.pekkoraft.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Java API over a member's coordinator: a probe plays the member's own server (asked with hops 0, so
 * that it forwards to the leader itself); answers become the Membership, refusals a typed exception.
 */
class MembershipClientTest {

  private static final ActorTestKit kit = ActorTestKit.create(ConfigFactory.parseString("pekko.loglevel = WARNING")
      .withFallback(ConfigFactory.load()));
  private static final MembershipSettings settings = MembershipSettings.fromConfig(kit.system().settings().config());

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static final Membership FOUR = new Membership(Set.of("a", "b", "c", "d"), Set.of(), Set.of(), Set.of(),
      Map.of("d", "pekko://app@h:4"), 12, true);

  @Test
  void aCommittedChangeCompletesWithTheMembershipAndARefusalFailsWithItsReason() throws Exception {
    TestProbe<ServerCommand> server = kit.createTestProbe();
    MembershipClient members = new MembershipClient("g", kit.spawn(MembershipCoordinator.create("g",
        RaftMembership.localServer(server.ref()), settings)), kit.system(), settings);

    CompletableFuture<Membership> added = members.addVoter("d", "pekko://app@h:4").toCompletableFuture();
    MembershipRequest.ChangeMembership add = (MembershipRequest.ChangeMembership)
        server.expectMessageClass(MembershipRequest.ChangeMembership.class);
    assertEquals(0, add.hops(), "a member asks its own server, which forwards to the leader");
    add.replyTo().tell(new MembershipReply.Refused(RefusalReason.ALREADY_A_MEMBER, "d is a learner already",
        new Membership(Set.of("a", "b", "c"), Set.of("d"), Set.of(), Set.of(), Map.of(), 9, true)));
    MembershipRequest.ChangeMembership promote = (MembershipRequest.ChangeMembership)
        server.expectMessageClass(MembershipRequest.ChangeMembership.class);
    assertEquals(new ConfigurationChange.Promote("d"), promote.change(), "a learner already: promoted only");
    promote.replyTo().tell(new MembershipReply.Changed(FOUR));
    assertEquals(FOUR, added.get(10, TimeUnit.SECONDS));

    CompletableFuture<Membership> removed = members.remove("x").toCompletableFuture();
    ((MembershipRequest.ChangeMembership) server.expectMessageClass(MembershipRequest.ChangeMembership.class))
        .replyTo().tell(new MembershipReply.Refused(RefusalReason.NOT_A_MEMBER, "x is not a member", FOUR));
    ExecutionException failed = assertThrows(ExecutionException.class, () -> removed.get(10, TimeUnit.SECONDS));
    MembershipException.Refused refused = assertInstanceOf(MembershipException.Refused.class, failed.getCause());
    assertEquals(RefusalReason.NOT_A_MEMBER, refused.reason());
    assertEquals(FOUR, refused.membership());
    assertFalse(refused.mayHaveChanged());
  }
}
