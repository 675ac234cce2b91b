package io.pekkoraft.samples.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.pekkoraft.consensus.PekkoRaft;
import io.pekkoraft.consensus.RaftGroup;
import io.pekkoraft.consensus.ReplicatedStateMachine;
import io.pekkoraft.gateway.PekkoRaftGateway;
import io.pekkoraft.samples.counter.Counter.GetValue;
import io.pekkoraft.samples.counter.Counter.Increment;
import io.pekkoraft.testkit.LocalCluster;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's examples in {@code grpc-gateway/examples}, run as the README shows them against a real counter
 * cluster: three members over Artery with their durable journals ({@link LocalCluster}), each serving the gateway
 * with {@link CounterCodec} on a free port. The Node.js example ({@code node/counter.js}, @grpc/grpc-js) and the
 * shell example ({@code shell/counter.sh}, buf curl from @bufbuild/buf) each add to the counter through it, and the
 * counter, read on a member, went up by exactly what they added.
 *
 * <p>The examples are copied under {@code samples/target/gateway-examples} (keeping their place relative to the
 * gateway's .proto) and get their pinned packages there with {@code npm ci}, so the repository stays clean. Without
 * {@code node} or {@code npm} on the PATH, or when npm cannot reach its registry, the test is skipped, and says why
 * on standard output and in the test report. Every process has a time limit.
 */
class GatewayExamplesTest {

  private static final Duration STEP = Duration.ofSeconds(30);
  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration EXAMPLE_TIMEOUT = Duration.ofMinutes(2);
  /** What npm prints when the registry is out of reach (DNS, refused, reset, timed out, offline). */
  private static final Pattern NETWORK_FAILURE = Pattern.compile(
      "ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ERR_SOCKET_TIMEOUT"
          + "|socket hang up|network|offline", Pattern.CASE_INSENSITIVE);

  /** Why the examples cannot run here (no node, no npm, no registry), or null. */
  static String skipReason;
  static Path work;
  static LocalCluster cluster;
  static RaftGroup<Increment, GetValue, Long> counter;
  /** Each member's gateway port, by member id. */
  static final Map<String, Integer> gatewayPorts = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    if (!runs("node", "--version")) {
      skip("node is not installed (not on the PATH): the gateway's Node.js and buf curl examples are not run."
          + " Install Node.js and npm (Debian: apt-get install nodejs npm) to run them.");
      return;
    }
    if (!runs("npm", "--version")) {
      skip("npm is not installed (not on the PATH): the gateway's Node.js and buf curl examples are not run."
          + " Install npm (Debian: apt-get install npm) to run them.");
      return;
    }

    work = Path.of("target", "gateway-examples").toAbsolutePath();
    Path gateway = Path.of("..", "grpc-gateway").toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(gateway.resolve("examples")), "the examples are at " + gateway.resolve("examples"));
    deleteRecursively(work);
    copy(gateway.resolve("src/main/protobuf"), work.resolve("grpc-gateway/src/main/protobuf"));
    copy(gateway.resolve("examples/node"), work.resolve("grpc-gateway/examples/node"));
    copy(gateway.resolve("examples/shell"), work.resolve("grpc-gateway/examples/shell"));
    if (!npmCi(work.resolve("grpc-gateway/examples/node")) || !npmCi(work.resolve("grpc-gateway/examples/shell"))) {
      return;
    }

    cluster = LocalCluster.builder().members(3).systemName(CounterSample.SYSTEM_NAME)
        .config(ConfigFactory.parseResources(GatewayExamplesTest.class.getClassLoader(), "counter.conf",
            ConfigParseOptions.defaults().setAllowMissing(false)))
        .dataDir(work.resolve("data"))
        .start();
    for (String member : cluster.memberIds()) {
      var system = cluster.system(member);
      RaftGroup<Increment, GetValue, Long> group =
          PekkoRaft.get(system).init(ReplicatedStateMachine.of(CounterSample.GROUP_ID, Counter::new));
      if (counter == null) counter = group;
      // counter.conf: port 0, a free one.
      int port = PekkoRaftGateway.get(system).register(CounterSample.GROUP_ID, new CounterCodec()).start()
          .toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS).localAddress().getPort();
      gatewayPorts.put(member, port);
    }
    cluster.awaitLeader(CounterSample.GROUP_ID, 0, STEP);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  /** Each test is reported skipped, with the reason, when the examples cannot run here. */
  @BeforeEach
  void skipWithoutNode() {
    Assumptions.assumeTrue(skipReason == null, skipReason);
  }

  @Test
  void theNodeJsExampleAddsThroughTheGatewaysOnceEach() throws Exception {
    long before = read();
    String endpoints = gatewayPorts.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    String out = run(List.of("node", "counter.js", "--endpoints", endpoints, "--add", "5", "--count", "2",
        "--deadline-ms", "10000"), work.resolve("grpc-gateway/examples/node"), EXAMPLE_TIMEOUT, "node-example");

    assertTrue(out.contains("the counter is now " + (before + 5) + " ") && out.contains("the counter is now "
        + (before + 10) + " "), "two increments of 5 from " + before + ":\n" + out);
    assertTrue(Pattern.compile("^read \\(LINEARIZABLE\\) through 127\\.0\\.0\\.1:\\d+: " + (before + 10) + "$",
        Pattern.MULTILINE).matcher(out).find(), "the read after them:\n" + out);
    assertTrue(out.contains("status from node-"), out);
    assertEquals(before + 10, read(), "the counter on a member: each increment applied once\n" + out);
  }

  @Test
  void theShellExampleAddsWithBufCurl() throws Exception {
    long before = read();
    String endpoint = "127.0.0.1:" + gatewayPorts.get("node-2");
    String out = run(List.of("bash", "counter.sh", endpoint, "7"), work.resolve("grpc-gateway/examples/shell"),
        EXAMPLE_TIMEOUT, "shell-example");

    assertTrue(out.contains("added 7: the counter is now " + (before + 7) + " "), "7 added to " + before + ":\n" + out);
    assertTrue(out.contains("read (LINEARIZABLE): " + (before + 7) + "\n"), "the read after it:\n" + out);
    assertTrue(out.contains("\"servedBy\": \"node-2\""), "the status as node-2 serves it:\n" + out);
    assertEquals(before + 7, read(), "the counter on a member\n" + out);
  }

  private static long read() throws Exception {
    return counter.read(GetValue.INSTANCE).toCompletableFuture().get(STEP.toSeconds(), TimeUnit.SECONDS);
  }

  // ---- processes ----

  /** The output (stdout and stderr) of a command that exited 0 within {@code timeout}; fails otherwise. */
  private static String run(List<String> command, Path dir, Duration timeout, String name) throws Exception {
    Outcome outcome = start(command, dir, timeout, name);
    assertTrue(!outcome.timedOut(), String.join(" ", command) + " did not finish within " + timeout + ":\n"
        + outcome.output());
    assertEquals(0, outcome.exitCode(), String.join(" ", command) + " failed:\n" + outcome.output());
    return outcome.output();
  }

  private record Outcome(boolean timedOut, int exitCode, String output) {}

  /** Runs {@code command} in {@code dir}, its output to {@code <work>/<name>.log}; kills it after {@code timeout}. */
  private static Outcome start(List<String> command, Path dir, Duration timeout, String name) throws Exception {
    Path log = work.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
    Map<String, String> env = builder.environment();
    env.put("npm_config_update_notifier", "false");
    env.put("npm_config_fund", "false");
    env.put("npm_config_audit", "false");
    // A registry out of reach fails within a minute or so rather than after npm's default retries.
    env.put("npm_config_fetch_retries", "1");
    env.put("npm_config_fetch_timeout", "60000");
    Process process = builder.start();
    boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.onExit().get(STEP.toSeconds(), TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    System.out.println("---- " + String.join(" ", command) + " (in " + dir + ")\n" + output);
    return new Outcome(!finished, finished ? process.exitValue() : -1, output);
  }

  private static File nullDevice() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  /** Whether {@code command} can be started and exits 0 within a minute. */
  private static boolean runs(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!process.waitFor(1, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * The example's pinned packages (package-lock.json). False, with the tests to be skipped, when the registry
   * cannot be reached; any other failure of npm ci fails the class.
   */
  private static boolean npmCi(Path dir) throws Exception {
    Outcome outcome = start(List.of("npm", "ci"), dir, NPM_CI_TIMEOUT, "npm-ci-" + dir.getFileName());
    if (outcome.timedOut()) {
      skip("npm ci in " + dir + " did not finish within " + NPM_CI_TIMEOUT + " (is the npm registry reachable?):"
          + " the gateway's Node.js and buf curl examples are not run.");
      return false;
    }
    if (outcome.exitCode() != 0) {
      var networkFailure = outcome.output().lines().filter(l -> NETWORK_FAILURE.matcher(l).find()).findFirst();
      if (networkFailure.isPresent()) {
        skip("npm cannot reach its registry (npm ci in " + dir + ": " + networkFailure.get().trim() + "):"
            + " the gateway's Node.js and buf curl examples are not run.");
        return false;
      }
    }
    assertEquals(0, outcome.exitCode(), "npm ci in " + dir + ":\n" + outcome.output());
    return true;
  }

  /** The tests are to be skipped for {@code reason}, printed too, so that it shows in a build's log. */
  private static void skip(String reason) {
    System.out.println("SKIPPED GatewayExamplesTest: " + reason);
    skipReason = reason;
  }

  // ---- files ----

  /** Copies {@code from} into {@code to}, without node_modules. */
  private static void copy(Path from, Path to) throws IOException {
    List<Path> paths = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(from)) {
      walk.filter(p -> !from.relativize(p).toString().startsWith("node_modules")).forEach(paths::add);
    }
    for (Path path : paths) {
      Path target = to.resolve(from.relativize(path).toString());
      if (Files.isDirectory(path)) {
        Files.createDirectories(target);
      } else {
        Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) return;
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) Files.delete(path);
    }
  }
}
