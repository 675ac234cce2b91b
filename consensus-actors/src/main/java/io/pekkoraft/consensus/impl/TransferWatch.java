package io.pekkoraft.consensus.impl;

import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.protocol.ServerCommand;
import io.pekkoraft.consensus.protocol.TransferReply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Answers the requesters of one leadership transfer. A transfer ends after the leader has stepped down,
 * when this server first hears from the new leader; the role that started it is gone by then, so this
 * child of the server outlives it and learns the outcome from the {@link RoleChanged} events the server
 * publishes: a later term with another member as leader means the transfer is done. At the deadline
 * ({@code pekko-raft.leadership-transfer-timeout}) it answers Timeout and tells the server, so a leader
 * that still leads serves clients again.
 */
final class TransferWatch extends AbstractBehavior<TransferWatch.Command> {

  interface Command extends NoSerializationVerificationNeeded {}

  /** One more requester of the transfer under way. */
  record Waiter(ActorRef<TransferReply> replyTo) implements Command {}

  private record Observed(RoleChanged event) implements Command {}

  private enum Deadline implements Command {
    INSTANCE
  }

  /** Sent to the server when the deadline passed without a new leader. */
  record Ended(ActorRef<Command> watch) implements ServerCommand, NoSerializationVerificationNeeded {}

  private final String groupId;
  private final String selfId;
  private final String target;
  private final long term;
  private final Duration timeout;
  private final ActorRef<ServerCommand> server;
  private final ActorRef<RoleChanged> events;
  private final List<ActorRef<TransferReply>> waiters = new ArrayList<>();

  /** Watches the transfer of {@code groupId}'s leadership of {@code term} from {@code selfId} to {@code target}. */
  static Behavior<Command> create(String groupId, String selfId, String target, long term, Duration timeout,
      ActorRef<ServerCommand> server, ActorRef<TransferReply> firstWaiter) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
        new TransferWatch(ctx, timers, groupId, selfId, target, term, timeout, server, firstWaiter)));
  }

  private TransferWatch(ActorContext<Command> ctx, TimerScheduler<Command> timers, String groupId, String selfId,
      String target, long term, Duration timeout, ActorRef<ServerCommand> server, ActorRef<TransferReply> firstWaiter) {
    super(ctx);
    this.groupId = groupId;
    this.selfId = selfId;
    this.target = target;
    this.term = term;
    this.timeout = timeout;
    this.server = server;
    this.waiters.add(firstWaiter);
    this.events = ctx.messageAdapter(RoleChanged.class, Observed::new);
    ctx.getSystem().eventStream().tell(new EventStream.Subscribe<>(RoleChanged.class, events));
    timers.startSingleTimer(Deadline.INSTANCE, timeout);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Waiter.class, w -> {
          waiters.add(w.replyTo());
          return this;
        })
        .onMessage(Observed.class, this::onObserved)
        .onMessageEquals(Deadline.INSTANCE, this::onDeadline)
        .onSignal(PostStop.class, s -> {
          getContext().getSystem().eventStream().tell(new EventStream.Unsubscribe<>(events));
          return Behaviors.same();
        })
        .build();
  }

  private Behavior<Command> onObserved(Observed o) {
    RoleChanged e = o.event();
    boolean handedOver = e.groupId().equals(groupId) && e.memberId().equals(selfId) && e.term() > term
        && e.leaderId() != null && !e.leaderId().equals(selfId);
    if (!handedOver) return this;
    getContext().getLog().info("{} handed leadership of group {} over: {} leads term {}", selfId, groupId,
        e.leaderId(), e.term());
    reply(new TransferReply.Transferred(e.leaderId()));
    return Behaviors.stopped();
  }

  private Behavior<Command> onDeadline() {
    getContext().getLog().warn("{} could not hand leadership of group {} over to {} within {} ms"
        + " (pekko-raft.leadership-transfer-timeout)", selfId, groupId, target, timeout.toMillis());
    reply(new TransferReply.Timeout("no new leader of group " + groupId + " within " + timeout.toMillis()
        + " ms (pekko-raft.leadership-transfer-timeout): " + target + " is unreachable or could not catch up;"
        + " " + selfId + ", if it still leads, serves clients again"));
    server.tell(new Ended(getContext().getSelf()));
    return Behaviors.stopped();
  }

  private void reply(TransferReply reply) {
    for (ActorRef<TransferReply> w : waiters) w.tell(reply);
  }
}
