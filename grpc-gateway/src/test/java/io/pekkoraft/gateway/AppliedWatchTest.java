package io.pekkoraft.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.grpc.Status;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.consensus.RoleChanged;
import io.pekkoraft.consensus.StateMachine;
import io.pekkoraft.gateway.grpc.AppliedEvent;
import io.pekkoraft.gateway.grpc.WatchAppliedRequest;
import io.pekkoraft.testkit.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AppliedWatch} against a real cluster: three members, each its own ActorSystem over Artery with its
 * durable journal ({@link LocalCluster}). A client watches the group on one member, that member's system is
 * terminated while commands keep coming, and the client resumes on another member from the last index it saw
 * + 1: together the two watches carry every command once, in order, with its result.
 */
class AppliedWatchTest {

  private static final String GROUP = "watched";
  /** Only a failure bound: each step normally takes well under a second. */
  private static final long STEP_SECONDS = 20;

  /** Commands are strings, the result of each is how many commands the replica has applied, counting it. */
  static final class Counting implements StateMachine<String, String, Long> {
    private long applied;

    @Override
    public Long apply(String command) {
      if (command.startsWith("refuse")) throw new IllegalArgumentException("refused " + command);
      return ++applied;
    }

    @Override
    public Long query(String query) {
      return applied;
    }
  }

  /** UTF-8 commands and queries, decimal results. */
  static final class Utf8Codec implements GroupCodec<String, String, Long> {
    @Override
    public String decodeCommand(byte[] payload) {
      return new String(payload, StandardCharsets.UTF_8);
    }

    @Override
    public String decodeQuery(byte[] payload) {
      return decodeCommand(payload);
    }

    @Override
    public byte[] encodeCommand(String command) {
      return command.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] encodeResult(Long result) {
      return Long.toString(result).getBytes(StandardCharsets.UTF_8);
    }
  }

  private static final Utf8Codec CODEC = new Utf8Codec();

  private LocalCluster cluster;
  private Map<String, RaftGroup<String, String, Long>> groups;

  @AfterEach
  void stopCluster() {
    if (cluster != null) cluster.close();
  }

  /** A watch running on a member's system: the events as they come, and how it ended. */
  private record Watch(BlockingQueue<AppliedEvent> events, CompletableFuture<Done> end) {
    AppliedEvent next() throws InterruptedException {
      AppliedEvent e = events.poll(STEP_SECONDS, TimeUnit.SECONDS);
      assertNotNull(e, "no event within " + STEP_SECONDS + " s");
      return e;
    }

    Throwable failure() throws Exception {
      try {
        end.get(STEP_SECONDS, TimeUnit.SECONDS);
        throw new AssertionError("the watch completed instead of failing");
      } catch (ExecutionException e) {
        return e.getCause();
      }
    }
  }

  private static Watch run(ActorSystem<?> system, Source<AppliedEvent, NotUsed> source) {
    BlockingQueue<AppliedEvent> events = new LinkedBlockingQueue<>();
    CompletableFuture<Done> end = source.runWith(Sink.foreach(events::add), system).toCompletableFuture();
    return new Watch(events, end);
  }

  private void submitAll(String via, int from, int to) throws Exception {
    for (int i = from; i <= to; i++) {
      groups.get(via).submit("c-" + i).toCompletableFuture().get(STEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  @Test
  void aWatchResumedOnAnotherMemberAfterTheServingOneIsTerminatedHasNoGapAndNoDuplicate() throws Exception {
    cluster = LocalCluster.builder().members(3).config(ConfigFactory.parseResources("applied-watch-test.conf",
        ConfigParseOptions.defaults().setAllowMissing(false))).start();
    groups = cluster.init(id -> ReplicatedStateMachine.of(GROUP, Counting::new));
    RoleChanged leader = cluster.awaitLeader(GROUP, 0, Duration.ofSeconds(STEP_SECONDS));
    String serving = leader.memberId(); // the harder case: the group fails over too
    List<String> others = cluster.memberIds().stream().filter(m -> !m.equals(serving)).toList();

    // from_index 0 is 1
    Watch first = run(cluster.system(serving), AppliedWatch.stream(cluster.system(serving), GROUP, CODEC, 0));
    submitAll(others.get(0), 1, 20);
    List<AppliedEvent> seen = new ArrayList<>();
    for (int i = 0; i < 20; i++) seen.add(first.next());
    cluster.terminate(serving).get(STEP_SECONDS, TimeUnit.SECONDS);
    first.failure(); // the serving member is gone: the stream ends with it
    assertNull(first.events().poll(), "nothing after the 20 commands submitted");

    submitAll(others.get(0), 21, 30); // applied while the client is away
    long resumeAt = seen.get(seen.size() - 1).getIndex() + 1;
    String resumedOn = others.get(1);
    PekkoRaftGateway.get(cluster.system(resumedOn)).register(GROUP, CODEC); // the request form looks it up there
    Watch resumed = run(cluster.system(resumedOn),
        AppliedWatch.stream(cluster.system(resumedOn), WatchAppliedRequest.newBuilder().setGroup(GROUP)
            .setFromIndex(resumeAt).build()));
    for (int i = 0; i < 10; i++) seen.add(resumed.next()); // the commands applied meanwhile, from the ring
    submitAll(others.get(1), 31, 40);
    for (int i = 0; i < 10; i++) seen.add(resumed.next()); // and live
    assertNull(resumed.events().poll(), "nothing more");

    List<String> payloads = seen.stream().map(e -> e.getPayload().toStringUtf8()).toList();
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= 40; i++) expected.add("c-" + i);
    assertEquals(expected, payloads, "every command once, in order: no gap, no duplicate");
    for (int i = 0; i < seen.size(); i++) {
      assertEquals(Long.toString(i + 1), seen.get(i).getResult().toStringUtf8(), "the result of " + payloads.get(i));
      assertEquals("", seen.get(i).getError());
      assertTrue(seen.get(i).getSessionId() != 0, "submitted in the RaftGroup handle's session");
      if (i > 0) assertTrue(seen.get(i).getIndex() > seen.get(i - 1).getIndex(), "log order: " + seen.get(i));
    }

    // The resumed member holds 32 commands: a watch from the start is refused, naming where it could start.
    Watch fromStart = run(cluster.system(resumedOn), AppliedWatch.stream(cluster.system(resumedOn), GROUP, CODEC, 1));
    Status tooOld = assertInstanceOf(GrpcServiceException.class, fromStart.failure()).getStatus();
    assertEquals(Status.Code.FAILED_PRECONDITION, tooOld.getCode());
    long firstHeld = seen.get(7).getIndex() + 1; // just after c-8, the last command dropped from the ring
    assertTrue(tooOld.getDescription().endsWith("first available index " + firstHeld), tooOld.getDescription());

    // A refused command is an event with the state machine's failure and no result.
    CompletableFuture<Long> refused = groups.get(resumedOn).submit("refuse-41").toCompletableFuture();
    assertInstanceOf(io.pekkoraft.consensus.RaftException.CommandFailed.class,
        assertInstanceOf(ExecutionException.class, failureOf(refused)).getCause());
    AppliedEvent failed = resumed.next();
    assertEquals("refuse-41", failed.getPayload().toStringUtf8());
    assertTrue(failed.getError().contains("refused refuse-41"), failed.getError());
    assertTrue(failed.getResult().isEmpty());

    // Unknown groups, and groups without a codec: NOT_FOUND.
    ActorSystem<?> on = cluster.system(resumedOn);
    Status unknown = statusOf(run(on, AppliedWatch.stream(on, "no-such-group", CODEC, 1)));
    assertEquals(Status.Code.NOT_FOUND, unknown.getCode());
    assertTrue(unknown.getDescription().contains("no-such-group"), unknown.getDescription());
    Status noCodec = statusOf(run(cluster.system(others.get(0)), AppliedWatch.stream(cluster.system(others.get(0)),
        WatchAppliedRequest.newBuilder().setGroup(GROUP).build())));
    assertEquals(Status.Code.NOT_FOUND, noCodec.getCode(), "no codec registered on " + others.get(0));
  }

  private static Throwable failureOf(CompletableFuture<?> future) throws Exception {
    try {
      future.get(STEP_SECONDS, TimeUnit.SECONDS);
      throw new AssertionError("completed: " + future);
    } catch (ExecutionException e) {
      return e;
    }
  }

  private static Status statusOf(Watch watch) throws Exception {
    return assertInstanceOf(GrpcServiceException.class, watch.failure()).getStatus();
  }
}
