package io.pekkoraft.membership;

import io.pekkoraft.consensus.Membership;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * Changes the membership of one Raft group from Java, through its {@link MembershipCoordinator}; get one
 * with {@link RaftMembership#group} on a member or {@link RaftMembership#forClient} elsewhere.
 *
 * <pre>{@code
 * MembershipClient members = RaftMembership.get(system).group("counter");
 * // replace node-3 (dead disk) by node-4: add the new one first, then remove the old one
 * members.addVoter("node-4", "pekko://app@10.0.0.4:25520")
 *     .thenCompose(m -> members.remove("node-3"))
 *     .thenAccept(m -> log.info("voters now {}", m.voters()));
 * }</pre>
 *
 * Every call completes with the {@link Membership} the change made, once it is committed, or fails with a
 * {@link MembershipException}: {@code Refused} (with its {@code RefusalReason}; nothing changed),
 * {@code LearnerNotCaughtUp}, {@code NoLeader}, {@code Timeout} (see {@code mayHaveChanged()}), or
 * {@code Busy}. Calls run one at a time, in the order made. Stages complete on the system's dispatcher.
 */
public final class MembershipClient {

  private final String groupId;
  private final ActorRef<MembershipCoordinator.Command> coordinator;
  private final ActorSystem<?> system;
  /** Only a bound: the coordinator answers every request itself before its own deadlines. */
  private final Duration askTimeout;

  MembershipClient(String groupId, ActorRef<MembershipCoordinator.Command> coordinator, ActorSystem<?> system,
      MembershipSettings settings) {
    this.groupId = groupId;
    this.coordinator = coordinator;
    this.system = system;
    Duration longest = settings.operationTimeout().plus(settings.promoteTimeout()).plus(settings.attemptTimeout());
    this.askTimeout = longest.multipliedBy(settings.queueSizeMax() + 1L);
  }

  public String groupId() {
    return groupId;
  }

  /** The coordinator actor, for the typed protocol ({@link MembershipCoordinator.Request} in, {@code Reply} out). */
  public ActorRef<MembershipCoordinator.Command> coordinator() {
    return coordinator;
  }

  /**
   * Add {@code memberId} as a learner: it receives the log, never votes and does not count toward a quorum.
   * {@code address} is its Pekko address ({@code pekko://system@host:port}), or null when the group can
   * find it otherwise.
   */
  public CompletionStage<Membership> addLearner(String memberId, String address) {
    String id = Objects.requireNonNull(memberId, "memberId");
    return ask(replyTo -> new MembershipCoordinator.AddLearner(id, address, replyTo));
  }

  /**
   * Make learner {@code memberId} a voter, as soon as it has caught up with the leader's log; fails with
   * {@link MembershipException.LearnerNotCaughtUp} if it has not within {@code promote-timeout}.
   */
  public CompletionStage<Membership> promote(String memberId) {
    String id = Objects.requireNonNull(memberId, "memberId");
    return ask(replyTo -> new MembershipCoordinator.Promote(id, replyTo));
  }

  /** Make voter {@code memberId} a learner (it keeps receiving the log). */
  public CompletionStage<Membership> demote(String memberId) {
    String id = Objects.requireNonNull(memberId, "memberId");
    return ask(replyTo -> new MembershipCoordinator.Demote(id, replyTo));
  }

  /**
   * Remove voter or learner {@code memberId} from the group. Removing the leader is allowed: it hands its
   * leadership over once the change is committed. The last voter cannot be removed.
   */
  public CompletionStage<Membership> remove(String memberId) {
    String id = Objects.requireNonNull(memberId, "memberId");
    return ask(replyTo -> new MembershipCoordinator.Remove(id, replyTo));
  }

  /** Add {@code memberId} as a voter the safe way: as a learner, then promoted once caught up. */
  public CompletionStage<Membership> addVoter(String memberId, String address) {
    String id = Objects.requireNonNull(memberId, "memberId");
    return ask(replyTo -> new MembershipCoordinator.AddVoter(id, address, replyTo));
  }

  /**
   * Make the voters exactly {@code voters}, through joint consensus when more than one voter changes (the
   * leader enters the joint configuration and leaves it on its own; completes once it has left). Voters not
   * in {@code voters} leave the group; learners stay learners unless named. Members not in the group yet
   * need an address in {@code addresses}; add them as learners first ({@link #addLearner}) so that they
   * catch up before they count toward a quorum.
   */
  public CompletionStage<Membership> changeVoters(Set<String> voters, Map<String, String> addresses) {
    Set<String> v = Set.copyOf(voters);
    Map<String, String> a = Map.copyOf(addresses);
    return ask(replyTo -> new MembershipCoordinator.ChangeVoters(v, null, a, replyTo));
  }

  /** {@link #changeVoters(Set, Map)} among members already in the group. */
  public CompletionStage<Membership> changeVoters(Set<String> voters) {
    return changeVoters(voters, Map.of());
  }

  /** The membership as the leader sees it (committed or not: see {@link Membership#committed()}). */
  public CompletionStage<Membership> membership() {
    return ask(MembershipCoordinator.GetMembership::new);
  }

  private CompletionStage<Membership> ask(Function<ActorRef<MembershipCoordinator.Reply>, MembershipCoordinator.Request> make) {
    return AskPattern.<MembershipCoordinator.Command, MembershipCoordinator.Reply>ask(
            coordinator, make::apply, askTimeout, system.scheduler())
        .handleAsync((reply, failure) -> {
          if (reply instanceof MembershipCoordinator.Done d) return d.membership();
          throw toException(reply, failure);
        }, system.executionContext()); // not the common pool: see consensus' impl.client.RequestLoop
  }

  static MembershipException toException(MembershipCoordinator.Reply reply, Throwable failure) {
    if (reply instanceof MembershipCoordinator.Refused r) {
      return new MembershipException.Refused(r.reason(), r.message(), r.membership());
    }
    if (reply instanceof MembershipCoordinator.LearnerNotCaughtUp l) {
      return new MembershipException.LearnerNotCaughtUp(l.id(), l.message());
    }
    if (reply instanceof MembershipCoordinator.NoLeader n) return new MembershipException.NoLeader(n.message(), n.mayHaveChanged());
    if (reply instanceof MembershipCoordinator.Timeout t) return new MembershipException.Timeout(t.message(), t.mayHaveChanged());
    if (reply instanceof MembershipCoordinator.Busy b) return new MembershipException.Busy(b.message());
    return new MembershipException.Timeout("the membership coordinator did not answer in time: " + failure, true);
  }
}
