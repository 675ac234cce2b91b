package io.pekkoraft.consensus.behavior;

import io.pekkoraft.persistence.serialization.RaftSerializable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A counter entity for the tests. Each decision of its command handler gets a fresh token, recorded with
 * the member that decided it, and carried by the event, so a test can tell which decision's events applied,
 * and where; the event handler records every applied event by member instance (a test-only side effect).
 */
final class TestCounter extends ReplicatedBehavior<TestCounter.Command, TestCounter.Added, Long> {

  sealed interface Command extends RaftSerializable {}

  record Add(long delta, ActorRef<Long> replyTo) implements Command {}

  record Get(ActorRef<Long> replyTo) implements Command {}

  /** Stashed while the value is below {@code atLeast}. */
  record GetWhenAtLeast(long atLeast, ActorRef<Long> replyTo) implements Command {}

  record Added(String entityId, long delta, int token) implements RaftSerializable {}

  /** What the tests observe: decisions (token → member) and applied events (instance → events, in order). */
  static final class Recorder {
    final AtomicInteger tokens = new AtomicInteger();
    final Map<Integer, String> decidedBy = new ConcurrentHashMap<>();
    final Map<String, List<Added>> applied = new ConcurrentHashMap<>();

    List<Added> appliedBy(String instance) {
      return applied.computeIfAbsent(instance, k -> new CopyOnWriteArrayList<>());
    }

    List<Integer> tokensAppliedBy(String instance) {
      return appliedBy(instance).stream().map(Added::token).toList();
    }
  }

  private final String entityId;
  private final String member;
  private final String instance;
  private final Recorder recorder;

  TestCounter(String entityId, String member, String instance, Recorder recorder) {
    this.entityId = entityId;
    this.member = member;
    this.instance = instance;
    this.recorder = recorder;
  }

  @Override
  public Long emptyState() {
    return 0L;
  }

  @Override
  public CommandHandler<Command, Added, Long> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Add.class, (state, add) -> {
          int token = recorder.tokens.incrementAndGet();
          recorder.decidedBy.put(token, member);
          return Effect().replicate(new Added(entityId, add.delta(), token))
              .thenUnstashAll()
              .thenReply(add.replyTo(), s -> s);
        })
        .onCommand(Get.class, get -> Effect().none().thenReply(get.replyTo(), s -> s))
        .onCommand(GetWhenAtLeast.class, (state, g) -> state < g.atLeast()
            ? Effect().stash()
            : Effect().none().thenReply(g.replyTo(), s -> s))
        .build();
  }

  @Override
  public EventHandler<Long, Added> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Added.class, (state, added) -> {
          if (instance != null) recorder.appliedBy(instance).add(added);
          return state + added.delta();
        })
        .build();
  }
}
