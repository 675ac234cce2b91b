package io.pekkoraft.membership;

import io.pekkoraft.consensus.Membership;
import io.pekkoraft.consensus.impl.client.RequestLoop;
import io.pekkoraft.consensus.protocol.ConfigurationChange;
import io.pekkoraft.consensus.protocol.MembershipReply;
import io.pekkoraft.consensus.protocol.MembershipReply.RefusalReason;
import io.pekkoraft.consensus.protocol.MembershipRequest;
import io.pekkoraft.consensus.protocol.ServerCommand;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Changes the membership of one Raft group, one operation at a time, by messaging its servers
 * ({@link MembershipRequest}): the leader does each change (admission, planner, configuration entry) and
 * answers once it is committed; this actor finds the leader, retries what may be retried, learns the outcome
 * of a change whose answer was lost, and waits for a learner to catch up before it is promoted.
 *
 * <p>Each request gets exactly one {@link Reply}:
 * <ul>
 *   <li>{@link Done}: the change is committed (or, for {@link GetMembership}, the leader's view);</li>
 *   <li>{@link Refused}: the leader refused it for a reason asking again will not change
 *       ({@link RefusalReason}, e.g. {@code NOT_A_MEMBER}); nothing changed;</li>
 *   <li>{@link LearnerNotCaughtUp}: a promotion waited {@code promote-timeout} and the learner had still not
 *       caught up; nothing changed, the member is still a learner;</li>
 *   <li>{@link NoLeader}, {@link Timeout}: the deadline passed without a leader, or with the leader still
 *       refusing for a retryable reason or not answering; {@code mayHaveChanged} says whether a change was
 *       possibly appended (ask {@link GetMembership} later);</li>
 *   <li>{@link Busy}: too many requests wait already; nothing was tried.</li>
 * </ul>
 *
 * <p>Retries: "not the leader" goes to the named leader at once (a few times) or after a pause;
 * retryable refusals ({@link RefusalReason#retryable}) are asked again after a pause that doubles from
 * {@code retry-interval} up to {@code retry-interval-max}, until the deadline. A change that was not
 * answered, or answered {@link MembershipReply.OutcomeUnknown}, is never sent again blindly: the
 * coordinator asks for the membership until it is committed, answers {@link Done} if the change is in
 * effect there, and else makes the change again, as a compare-and-set on the configuration it saw.
 *
 * <p>Which server to ask comes from a {@link RequestLoop.Route}: on a member, its own server, which forwards
 * to the leader once; from a {@code RaftClient}, the client's listing and leader hint. All waiting goes
 * through Pekko's timers and ask, so a test drives it with {@code ManualTime}.
 */
public final class MembershipCoordinator extends AbstractBehavior<MembershipCoordinator.Command> {

  /**
   * Everything the coordinator receives. Its protocol is local (a {@link MembershipClient} and its
   * coordinator share an ActorSystem), so it is never serialized, not even under
   * {@code pekko.actor.serialize-messages = on}.
   */
  public sealed interface Command extends org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** A request about the membership; answered with one {@link Reply} to {@link #replyTo}. */
  public sealed interface Request extends Command {
    ActorRef<Reply> replyTo();
  }

  /** Add {@code id} as a learner (thesis §4.2.1), reachable at {@code address} (a Pekko address, or null if known otherwise). */
  public record AddLearner(String id, String address, ActorRef<Reply> replyTo) implements Request {}

  /** Make learner {@code id} a voter once it has caught up, waiting up to {@code promote-timeout}. */
  public record Promote(String id, ActorRef<Reply> replyTo) implements Request {}

  /** Make voter {@code id} a learner. */
  public record Demote(String id, ActorRef<Reply> replyTo) implements Request {}

  /** Remove voter or learner {@code id} from the group. */
  public record Remove(String id, ActorRef<Reply> replyTo) implements Request {}

  /**
   * Add {@code id} as a voter the safe way: as a learner first, then promoted once caught up. A member that
   * is already a learner is only promoted; one that is already a voter is answered {@link Done}.
   */
  public record AddVoter(String id, String address, ActorRef<Reply> replyTo) implements Request {}

  /**
   * Make the voters exactly {@code voters} (through joint consensus when more than one voter changes). With
   * {@code learners} null, the current learners stay (less those that become voters) and voters that are
   * not in {@code voters} leave the group; otherwise the learners become exactly {@code learners}.
   * {@code addresses} gives the addresses of members not in the group yet.
   */
  public record ChangeVoters(Set<String> voters, Set<String> learners, Map<String, String> addresses,
      ActorRef<Reply> replyTo) implements Request {
    public ChangeVoters {
      voters = Set.copyOf(voters);
      learners = learners == null ? null : Set.copyOf(learners);
      addresses = addresses == null ? Map.of() : Map.copyOf(addresses);
    }
  }

  /** The membership as the leader sees it. */
  public record GetMembership(ActorRef<Reply> replyTo) implements Request {}

  /** The answer to a {@link Request}; local, like the requests. */
  public sealed interface Reply extends org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** Done: the change is committed, and {@code membership} is the configuration it made (or the one read). */
  public record Done(Membership membership) implements Reply {}

  /** The leader refused the change for {@code reason}; nothing changed. {@code membership} is the leader's, or null. */
  public record Refused(RefusalReason reason, String message, Membership membership) implements Reply {}

  /** Learner {@code id} had not caught up within {@code promote-timeout}; it is still a learner. */
  public record LearnerNotCaughtUp(String id, String message, Membership membership) implements Reply {}

  /** No server answered as the leader before the deadline; {@code mayHaveChanged}: a change was possibly appended. */
  public record NoLeader(String message, boolean mayHaveChanged) implements Reply {}

  /** The deadline passed (the leader kept refusing for a retryable reason, or did not answer); see {@code mayHaveChanged}. */
  public record Timeout(String message, boolean mayHaveChanged) implements Reply {}

  /** More than {@code queue-size-max} requests wait; this one was not tried. */
  public record Busy(String message) implements Reply {}

  /** A server's answer (or none, {@code failure}) to attempt number {@code attempt}. */
  private record ServerAnswered(long attempt, ActorRef<ServerCommand> asked, MembershipReply reply, Throwable failure)
      implements Command {}

  /** The pause after attempt {@code attempt} is over. */
  private record RetryNow(long attempt) implements Command {}

  /** The deadline of step number {@code step} passed. */
  private record DeadlinePassed(long step) implements Command {}

  private static final Object RETRY = "retry";
  private static final Object DEADLINE = "deadline";
  /** Immediate retries towards a named leader before pausing (two servers naming each other must not spin). */
  private static final int QUICK_RETRIES_MAX = 3;

  public static Behavior<Command> create(String groupId, RequestLoop.Route route, MembershipSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new MembershipCoordinator(ctx, timers, groupId, route, settings)));
  }

  private final TimerScheduler<Command> timers;
  private final String groupId;
  private final RequestLoop.Route route;
  private final MembershipSettings settings;
  private final Deque<Request> queue = new ArrayDeque<>();

  /** The request in progress, or null. */
  private Request current;
  /** Its step in progress. */
  private Step step;
  private long attempts;
  private long steps;

  private MembershipCoordinator(ActorContext<Command> ctx, TimerScheduler<Command> timers, String groupId,
      RequestLoop.Route route, MembershipSettings settings) {
    super(ctx);
    this.timers = timers;
    this.groupId = groupId;
    this.route = route;
    this.settings = settings;
  }

  /**
   * One exchange with the leader: a change to make (or, with {@code change} null, the membership to read),
   * with its own deadline, and what it learnt so far.
   */
  private static final class Step {
    final String what;
    /** Null: read the membership. */
    ConfigurationChange change;
    /** Is the change in effect in a membership? (Null for a read.) */
    final Predicate<Membership> reached;
    final boolean promote;
    long expectedConfigurationIndex = MembershipRequest.ANY_CONFIGURATION;
    /** Asking for the membership to learn whether a change that may have happened did. */
    boolean resolving;
    /** A change was possibly appended (no answer, or OutcomeUnknown). */
    boolean mayHaveChanged;
    /** A server answered as the leader (anything but NotLeader or silence). */
    boolean leaderAnswered;
    MembershipReply.Refused lastRefused;
    String lastProblem = "no answer yet";
    int quickRetries;
    int pauses;

    Step(String what, ConfigurationChange change, Predicate<Membership> reached, boolean promote) {
      this.what = what;
      this.change = change;
      this.reached = reached;
      this.promote = promote;
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Request.class, this::onRequest)
        .onMessage(ServerAnswered.class, this::onServerAnswered)
        .onMessage(RetryNow.class, r -> {
          if (step != null && r.attempt() == attempts) send();
          return this;
        })
        .onMessage(DeadlinePassed.class, d -> {
          if (step != null && d.step() == steps) deadlinePassed();
          return this;
        })
        .build();
  }

  private Behavior<Command> onRequest(Request request) {
    if (current == null) {
      start(request);
    } else if (queue.size() >= settings.queueSizeMax()) {
      request.replyTo().tell(new Busy("group " + groupId + ": " + queue.size() + " membership requests wait behind "
          + describe(current) + " (pekko-raft.membership.coordinator.queue-size-max = " + settings.queueSizeMax()
          + "); not tried"));
    } else {
      queue.add(request);
    }
    return this;
  }

  private void start(Request request) {
    current = request;
    getContext().getLog().info("Group {}: {}", groupId, describe(request));
    if (request instanceof AddLearner r) {
      begin(new Step("add learner " + r.id(), new ConfigurationChange.AddLearner(r.id(), r.address()),
          m -> m.learners().contains(r.id()), false));
    } else if (request instanceof Promote r) {
      begin(promoteStep(r.id()));
    } else if (request instanceof Demote r) {
      begin(new Step("demote " + r.id(), new ConfigurationChange.Demote(r.id()),
          m -> m.learners().contains(r.id()) && !m.isVoter(r.id()), false));
    } else if (request instanceof Remove r) {
      begin(new Step("remove " + r.id(), new ConfigurationChange.Remove(r.id()), m -> !isMember(m, r.id()), false));
    } else if (request instanceof AddVoter r) {
      begin(new Step("add " + r.id() + " as a learner before promoting it",
          new ConfigurationChange.AddLearner(r.id(), r.address()), m -> m.learners().contains(r.id()), false));
    } else if (request instanceof ChangeVoters r) {
      begin(r.learners() != null ? changeVotersStep(r, r.learners())
          : new Step("read the membership to keep its learners", null, null, false));
    } else if (request instanceof GetMembership) {
      begin(new Step("read the membership", null, null, false));
    } else {
      throw new IllegalStateException("unknown membership request " + request);
    }
  }

  private Step promoteStep(String id) {
    return new Step("promote " + id, new ConfigurationChange.Promote(id),
        m -> m.voters().contains(id) && !m.isJoint(), true);
  }

  private static Step changeVotersStep(ChangeVoters r, Set<String> learners) {
    return new Step("change the voters to " + r.voters() + " and the learners to " + learners,
        new ConfigurationChange.ChangeVoters(r.voters(), learners, r.addresses()),
        m -> m.voters().equals(r.voters()) && m.learners().equals(learners) && !m.isJoint()
            && m.learnersNext().isEmpty(), false);
  }

  private static boolean isMember(Membership m, String id) {
    return m.isVoter(id) || m.learners().contains(id) || m.learnersNext().contains(id);
  }

  private void begin(Step next) {
    step = next;
    steps++;
    Duration deadline = next.promote ? settings.promoteTimeout() : settings.operationTimeout();
    timers.startSingleTimer(DEADLINE, new DeadlinePassed(steps), deadline);
    send();
  }

  /** Ask a server now: the change, or the membership (a read, or to learn the outcome of a change). */
  private void send() {
    timers.cancel(RETRY);
    long attempt = ++attempts;
    ActorRef<ServerCommand> server = route.next();
    if (server == null) {
      step.lastProblem = "no server of the group is reachable";
      pause();
      return;
    }
    int hops = route.hops();
    boolean read = step.change == null || step.resolving;
    ConfigurationChange change = step.change;
    long expected = step.expectedConfigurationIndex;
    getContext().ask(MembershipReply.class, server, settings.attemptTimeout(),
        replyTo -> read ? new MembershipRequest.GetMembership(hops, replyTo)
            : new MembershipRequest.ChangeMembership(change, expected, hops, replyTo),
        (reply, failure) -> new ServerAnswered(attempt, server, reply, failure));
  }

  /** Ask again after a pause that doubles each time, from retry-interval up to retry-interval-max. */
  private void pause() {
    long factor = 1L << Math.min(step.pauses++, 20);
    Duration delay = settings.retryInterval().multipliedBy(factor);
    if (delay.compareTo(settings.retryIntervalMax()) > 0) delay = settings.retryIntervalMax();
    timers.startSingleTimer(RETRY, new RetryNow(attempts), delay);
  }

  private Behavior<Command> onServerAnswered(ServerAnswered a) {
    if (step == null || a.attempt() != attempts) return this; // an answer to an attempt given up on
    if (a.failure() != null) {
      route.noAnswer(a.asked());
      step.lastProblem = "no answer within " + settings.attemptTimeout().toMillis() + " ms";
      if (step.change != null && !step.resolving) {
        // It may have reached the leader and been appended: learn whether, before trying again.
        step.mayHaveChanged = true;
        step.resolving = true;
        send();
      } else {
        pause();
      }
      return this;
    }
    MembershipReply reply = a.reply();
    if (reply instanceof MembershipReply.NotLeader n) {
      step.lastProblem = "not the leader" + (n.leaderId() == null ? ", and no leader known" : "; the leader is " + n.leaderId());
      if (route.notLeader(a.asked(), n.leaderId()) && step.quickRetries < QUICK_RETRIES_MAX) {
        step.quickRetries++;
        send();
      } else {
        pause();
      }
    } else if (reply instanceof MembershipReply.Changed c) {
      route.served(a.asked());
      stepDone(c.membership());
    } else if (reply instanceof MembershipReply.Status st) {
      route.served(a.asked());
      step.leaderAnswered = true;
      onStatus(st.membership());
    } else if (reply instanceof MembershipReply.Refused r) {
      route.served(a.asked());
      step.leaderAnswered = true;
      onRefused(r);
    } else if (reply instanceof MembershipReply.OutcomeUnknown u) {
      step.leaderAnswered = true;
      step.mayHaveChanged = true;
      step.resolving = true;
      step.lastProblem = "outcome unknown: " + u.reason();
      pause(); // a leader change is under way: ask the next leader
    } else {
      throw new IllegalStateException("group " + groupId + ": unknown membership reply " + reply);
    }
    return this;
  }

  private void onStatus(Membership m) {
    if (step.change == null) {
      stepDone(m);
    } else if (step.reached.test(m) && m.committed()) {
      stepDone(m); // the change that may have happened did
    } else if (!m.committed()) {
      step.lastProblem = "the configuration at index " + m.configurationIndex() + " is not committed yet";
      pause(); // the change (or another) is still in flight: ask again once it has committed or gone
    } else {
      // Committed, and not the change: it did not happen. Make it again, only on this configuration.
      step.resolving = false;
      step.expectedConfigurationIndex = m.configurationIndex();
      send();
    }
  }

  private void onRefused(MembershipReply.Refused r) {
    step.lastRefused = r;
    step.lastProblem = "refused, " + r.reason() + ": " + r.message();
    Membership m = r.membership();
    if (step.mayHaveChanged && m != null && step.reached.test(m) && m.committed()) {
      stepDone(m); // an earlier attempt made it after all
    } else if (r.reason() == RefusalReason.CONFIGURATION_CHANGED && step.mayHaveChanged) {
      step.resolving = true; // another configuration came first, maybe our own earlier attempt
      send();
    } else if (r.reason() == RefusalReason.CONFIGURATION_CHANGED && current instanceof ChangeVoters c
        && c.learners() == null) {
      begin(new Step("read the membership again to keep its learners", null, null, false));
    } else if (r.reason() == RefusalReason.ALREADY_A_MEMBER && current instanceof AddVoter v && m != null
        && (m.learners().contains(v.id()) || m.voters().contains(v.id()))) {
      stepDone(m); // already a learner: go on to promote it; already a voter: done
    } else if (r.reason().retryable) {
      pause();
    } else {
      finish(new Refused(r.reason(), r.message(), m));
    }
  }

  private void stepDone(Membership m) {
    if (current instanceof AddVoter v && !step.promote) {
      if (m.voters().contains(v.id()) && !m.isJoint()) finish(new Done(m));
      else begin(promoteStep(v.id()));
    } else if (current instanceof ChangeVoters r && step.change == null) {
      if (m.isJoint() || !m.committed()) {
        step.lastProblem = "a configuration change is in progress";
        pause(); // read again once the change in progress is over
      } else {
        Set<String> learners = new HashSet<>(m.learners());
        learners.addAll(m.learnersNext());
        learners.removeAll(r.voters());
        Step next = changeVotersStep(r, learners);
        next.expectedConfigurationIndex = m.configurationIndex();
        begin(next);
      }
    } else {
      finish(new Done(m));
    }
  }

  private void deadlinePassed() {
    Step s = step;
    Membership m = s.lastRefused == null ? null : s.lastRefused.membership();
    String what = "group " + groupId + ": could not " + s.what;
    if (s.promote && s.lastRefused != null && s.lastRefused.reason() == RefusalReason.NOT_CAUGHT_UP) {
      String id = ((ConfigurationChange.Promote) s.change).id();
      finish(new LearnerNotCaughtUp(id, what + ": it had not caught up within " + settings.promoteTimeout().toMillis()
          + " ms (pekko-raft.membership.coordinator.promote-timeout); last answer: " + s.lastRefused.message(), m));
    } else if (!s.leaderAnswered) {
      finish(new NoLeader(what + ": no leader answered in time; last: " + s.lastProblem, s.mayHaveChanged));
    } else {
      finish(new Timeout(what + " in time; last: " + s.lastProblem, s.mayHaveChanged));
    }
  }

  private void finish(Reply reply) {
    getContext().getLog().info("Group {}: {}: {}", groupId, describe(current), reply);
    current.replyTo().tell(reply);
    timers.cancel(RETRY);
    timers.cancel(DEADLINE);
    current = null;
    step = null;
    attempts++; // late answers of the finished request are ignored
    Request next = queue.poll();
    if (next != null) start(next);
  }

  private static String describe(Request r) {
    if (r instanceof AddLearner a) return "add learner " + a.id() + (a.address() == null ? "" : " at " + a.address());
    if (r instanceof Promote p) return "promote " + p.id();
    if (r instanceof Demote d) return "demote " + d.id();
    if (r instanceof Remove x) return "remove " + x.id();
    if (r instanceof AddVoter v) return "add voter " + v.id() + (v.address() == null ? "" : " at " + v.address());
    if (r instanceof ChangeVoters c) {
      return "change the voters to " + c.voters() + (c.learners() == null ? "" : " and the learners to " + c.learners());
    }
    return "get the membership";
  }
}
