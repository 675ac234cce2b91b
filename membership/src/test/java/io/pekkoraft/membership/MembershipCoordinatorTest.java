package io.pekkoraft.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator at its protocol boundary: test probes play the group's servers (each answers the
 * MembershipRequests it receives as a server would), and ManualTime moves the clock, so every pause,
 * attempt timeout and deadline is exact.
 */
class MembershipCoordinatorTest {

  private static final ActorTestKit kit = ActorTestKit.create(ManualTime.config().withFallback(ConfigFactory.parseString("""
      pekko.loglevel = WARNING
      pekko-raft.membership.coordinator {
        operation-timeout = 10s
        promote-timeout = 3s
        attempt-timeout = 1s
        retry-interval = 100ms
        retry-interval-max = 400ms
        queue-size-max = 1
      }
      """)).withFallback(ConfigFactory.load()));
  private static final ManualTime time = ManualTime.get(kit.system());
  private static final MembershipSettings settings = MembershipSettings.fromConfig(kit.system().settings().config());

  private TestProbe<ServerCommand> a;
  private TestProbe<ServerCommand> b;
  private TestProbe<MembershipCoordinator.Reply> client;
  private ActorRef<MembershipCoordinator.Command> coordinator;
  private Servers servers;

  /** A client's route among two servers "a" and "b": asks "a" first, goes where a NotLeader points. */
  private static final class Servers implements RequestLoop.Route {
    final Map<String, ActorRef<ServerCommand>> byId = new HashMap<>();
    ActorRef<ServerCommand> target;

    @Override
    public ActorRef<ServerCommand> next() {
      return target;
    }

    @Override
    public boolean notLeader(ActorRef<ServerCommand> asked, String leaderId) {
      ActorRef<ServerCommand> named = leaderId == null ? null : byId.get(leaderId);
      if (named == null || named.equals(asked)) return false;
      target = named;
      return true;
    }

    @Override
    public void served(ActorRef<ServerCommand> asked) {}

    @Override
    public void noAnswer(ActorRef<ServerCommand> asked) {}

    @Override
    public int hops() {
      return 1;
    }
  }

  @BeforeEach
  void start() {
    a = kit.createTestProbe();
    b = kit.createTestProbe();
    client = kit.createTestProbe();
    servers = new Servers();
    servers.byId.put("a", a.ref());
    servers.byId.put("b", b.ref());
    servers.target = a.ref();
    coordinator = kit.spawn(MembershipCoordinator.create("g", servers, settings));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static Membership membership(Set<String> voters, Set<String> learners, long index, boolean committed) {
    return new Membership(voters, learners, Set.of(), Set.of(), Map.of(), index, committed);
  }

  private static final Membership THREE = membership(Set.of("a", "b", "c"), Set.of(), 5, true);
  private static final Membership WITH_D = membership(Set.of("a", "b", "c"), Set.of("d"), 9, true);

  private static MembershipRequest.ChangeMembership expectChange(TestProbe<ServerCommand> server) {
    return (MembershipRequest.ChangeMembership) server.expectMessageClass(MembershipRequest.ChangeMembership.class);
  }

  private static MembershipRequest.GetMembership expectGet(TestProbe<ServerCommand> server) {
    return (MembershipRequest.GetMembership) server.expectMessageClass(MembershipRequest.GetMembership.class);
  }

  @Test
  void aServerThatIsNotTheLeaderIsLeftForTheLeaderItNames() {
    coordinator.tell(new MembershipCoordinator.AddLearner("d", "pekko://app@h:4", client.ref()));
    MembershipRequest.ChangeMembership first = expectChange(a);
    assertEquals(new ConfigurationChange.AddLearner("d", "pekko://app@h:4"), first.change());
    assertEquals(1, first.hops(), "a client's route asks for NotLeader instead of a forward");
    first.replyTo().tell(new MembershipReply.NotLeader("b"));

    MembershipRequest.ChangeMembership atLeader = expectChange(b); // at once, no pause
    atLeader.replyTo().tell(new MembershipReply.Changed(WITH_D));
    assertEquals(new MembershipCoordinator.Done(WITH_D), client.receiveMessage());
  }

  @Test
  void aRetryableRefusalIsAskedAgainAfterAPauseThatDoubles() {
    coordinator.tell(new MembershipCoordinator.Remove("c", client.ref()));
    expectChange(a).replyTo().tell(new MembershipReply.Refused(RefusalReason.CONFIGURATION_CHANGE_IN_PROGRESS,
        "index 7 is not committed", THREE));
    time.expectNoMessageFor(Duration.ofMillis(99), a);
    time.timePasses(Duration.ofMillis(1));
    expectChange(a).replyTo().tell(new MembershipReply.Refused(RefusalReason.NOT_COMMITTED_IN_TERM, "new leader", THREE));
    time.expectNoMessageFor(Duration.ofMillis(199), a); // the second pause is twice as long
    time.timePasses(Duration.ofMillis(1));
    Membership removed = membership(Set.of("a", "b"), Set.of(), 10, true);
    expectChange(a).replyTo().tell(new MembershipReply.Changed(removed));
    assertEquals(new MembershipCoordinator.Done(removed), client.receiveMessage());
  }

  @Test
  void aRefusalThatAskingAgainCannotChangeIsAnsweredAtOnce() {
    coordinator.tell(new MembershipCoordinator.Demote("x", client.ref()));
    expectChange(a).replyTo().tell(new MembershipReply.Refused(RefusalReason.NOT_A_VOTER, "x is not a voter", THREE));
    assertEquals(new MembershipCoordinator.Refused(RefusalReason.NOT_A_VOTER, "x is not a voter", THREE),
        client.receiveMessage());
    time.expectNoMessageFor(Duration.ofSeconds(1), a);
  }

  @Test
  void aLearnerThatNeverCatchesUpEndsAsLearnerNotCaughtUpAfterThePromoteTimeout() {
    // The clock moves in small steps until the coordinator gives up, so the test does not depend on
    // when the coordinator gets to start its retry timer after each refusal.
    coordinator.tell(new MembershipCoordinator.Promote("d", client.ref()));
    int asked = 0;
    MembershipCoordinator.Reply reply = null;
    Duration step = Duration.ofMillis(50);
    Duration passed = Duration.ZERO;
    while (reply == null) {
      assertTrue(passed.compareTo(settings.promoteTimeout().multipliedBy(3)) < 0, "no answer after " + passed);
      ServerCommand asking = poll(a);
      if (asking != null) {
        MembershipRequest.ChangeMembership promote = assertInstanceOf(MembershipRequest.ChangeMembership.class, asking);
        assertEquals(new ConfigurationChange.Promote("d"), promote.change());
        asked++;
        promote.replyTo().tell(new MembershipReply.Refused(RefusalReason.NOT_CAUGHT_UP, "d's match index is 3 of 900",
            WITH_D));
      }
      reply = poll(client);
      if (reply == null) {
        time.timePasses(step);
        passed = passed.plus(step);
      }
    }
    assertTrue(passed.compareTo(settings.promoteTimeout()) >= 0, "gave up after " + passed);
    MembershipCoordinator.Reply last = reply;
    assertTrue(last instanceof MembershipCoordinator.LearnerNotCaughtUp l && l.id().equals("d")
        && l.message().contains("d's match index is 3 of 900"), last.toString());
    assertTrue(asked >= 5, "polled the leader while waiting, " + asked + " times");
  }

  /** The next message of {@code probe} within a short bound, or null. */
  private static <T> T poll(TestProbe<T> probe) {
    try {
      return probe.receiveMessage(Duration.ofMillis(30));
    } catch (AssertionError none) {
      return null;
    }
  }

  @Test
  void anOutcomeUnknownIsResolvedByReadingTheMembershipNotByChangingAgain() {
    coordinator.tell(new MembershipCoordinator.AddLearner("d", null, client.ref()));
    expectChange(a).replyTo().tell(new MembershipReply.OutcomeUnknown("leader a stepped down"));
    time.timePasses(settings.retryInterval());
    MembershipRequest.GetMembership get = expectGet(a);
    // Appended but not committed yet: ask again later.
    get.replyTo().tell(new MembershipReply.Status(membership(Set.of("a", "b", "c"), Set.of("d"), 9, false), "b", 3, 8,
        Map.of()));
    time.timePasses(settings.retryInterval().multipliedBy(2));
    expectGet(a).replyTo().tell(new MembershipReply.Status(WITH_D, "b", 3, 9, Map.of()));
    assertEquals(new MembershipCoordinator.Done(WITH_D), client.receiveMessage());
    a.expectNoMessage(Duration.ofMillis(50));
  }

  @Test
  void aChangeThatDidNotHappenIsMadeAgainOnlyOnTheConfigurationSeen() {
    coordinator.tell(new MembershipCoordinator.AddLearner("d", null, client.ref()));
    MembershipRequest.ChangeMembership first = expectChange(a);
    assertEquals(MembershipRequest.ANY_CONFIGURATION, first.expectedConfigurationIndex());
    time.timePasses(settings.attemptTimeout()); // no answer: it may have happened
    expectGet(a).replyTo().tell(new MembershipReply.Status(THREE, "a", 2, 5, Map.of()));
    MembershipRequest.ChangeMembership again = expectChange(a);
    assertEquals(5, again.expectedConfigurationIndex(), "compare-and-set on the configuration read");
    again.replyTo().tell(new MembershipReply.Changed(WITH_D));
    assertEquals(new MembershipCoordinator.Done(WITH_D), client.receiveMessage());
  }

  @Test
  void withoutALeaderTheDeadlineAnswersNoLeaderAndNothingChanged() {
    coordinator.tell(new MembershipCoordinator.Remove("c", client.ref()));
    Duration waited = Duration.ZERO;
    while (waited.compareTo(settings.operationTimeout()) < 0) {
      expectChange(a).replyTo().tell(new MembershipReply.NotLeader(null));
      client.expectNoMessage(Duration.ofMillis(10));
      time.timePasses(settings.retryIntervalMax());
      waited = waited.plus(settings.retryIntervalMax());
    }
    MembershipCoordinator.Reply reply = client.receiveMessage();
    assertTrue(reply instanceof MembershipCoordinator.NoLeader n && !n.mayHaveChanged(), reply.toString());
  }

  @Test
  void anUnansweredChangeEndsSayingItMayHaveHappened() {
    coordinator.tell(new MembershipCoordinator.Remove("c", client.ref()));
    expectChange(a);
    Duration waited = Duration.ZERO;
    while (waited.compareTo(settings.operationTimeout()) < 0) {
      time.timePasses(settings.attemptTimeout()); // neither the change nor the reads are answered
      waited = waited.plus(settings.attemptTimeout());
    }
    MembershipCoordinator.Reply reply = client.receiveMessage();
    assertTrue(reply instanceof MembershipCoordinator.NoLeader n && n.mayHaveChanged(), reply.toString());
  }

  @Test
  void requestsRunOneAtATimeAndABoundedQueueRefusesTheRest() {
    TestProbe<MembershipCoordinator.Reply> second = kit.createTestProbe();
    TestProbe<MembershipCoordinator.Reply> third = kit.createTestProbe();
    coordinator.tell(new MembershipCoordinator.AddLearner("d", null, client.ref()));
    MembershipRequest.ChangeMembership first = expectChange(a);
    coordinator.tell(new MembershipCoordinator.Promote("d", second.ref()));
    coordinator.tell(new MembershipCoordinator.GetMembership(third.ref()));
    assertTrue(third.receiveMessage() instanceof MembershipCoordinator.Busy, "queue-size-max = 1");
    a.expectNoMessage(Duration.ofMillis(50)); // the promotion waits for the addition

    first.replyTo().tell(new MembershipReply.Changed(WITH_D));
    assertEquals(new MembershipCoordinator.Done(WITH_D), client.receiveMessage());
    MembershipRequest.ChangeMembership promote = expectChange(a);
    assertEquals(new ConfigurationChange.Promote("d"), promote.change());
    Membership four = membership(Set.of("a", "b", "c", "d"), Set.of(), 11, true);
    promote.replyTo().tell(new MembershipReply.Changed(four));
    assertEquals(new MembershipCoordinator.Done(four), second.receiveMessage());
  }

  @Test
  void addVoterAddsALearnerThenPromotesItOnceCaughtUp() {
    coordinator.tell(new MembershipCoordinator.AddVoter("d", "pekko://app@h:4", client.ref()));
    MembershipRequest.ChangeMembership add = expectChange(a);
    assertEquals(new ConfigurationChange.AddLearner("d", "pekko://app@h:4"), add.change());
    add.replyTo().tell(new MembershipReply.Changed(WITH_D));
    MembershipRequest.ChangeMembership promote = expectChange(a);
    assertEquals(new ConfigurationChange.Promote("d"), promote.change());
    promote.replyTo().tell(new MembershipReply.Refused(RefusalReason.NOT_CAUGHT_UP, "catching up", WITH_D));
    time.timePasses(settings.retryInterval());
    Membership four = membership(Set.of("a", "b", "c", "d"), Set.of(), 11, true);
    expectChange(a).replyTo().tell(new MembershipReply.Changed(four));
    assertEquals(new MembershipCoordinator.Done(four), client.receiveMessage());
  }

  @Test
  void changeVotersWithoutLearnersKeepsTheLearnersAndAsksOnTheConfigurationItRead() {
    coordinator.tell(new MembershipCoordinator.ChangeVoters(Set.of("a", "b", "d"), null, Map.of(), client.ref()));
    expectGet(a).replyTo().tell(new MembershipReply.Status(membership(Set.of("a", "b", "c"), Set.of("d", "e"), 9, true),
        "a", 2, 9, Map.of()));
    MembershipRequest.ChangeMembership change = expectChange(a);
    assertEquals(new ConfigurationChange.ChangeVoters(Set.of("a", "b", "d"), Set.of("e"), Map.of()), change.change());
    assertEquals(9, change.expectedConfigurationIndex());
    Membership after = membership(Set.of("a", "b", "d"), Set.of("e"), 13, true);
    change.replyTo().tell(new MembershipReply.Changed(after));
    assertEquals(new MembershipCoordinator.Done(after), client.receiveMessage());
    assertFalse(after.isJoint());
  }
}
