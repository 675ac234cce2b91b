package io.pekkoraft.gateway.cli;

import com.google.protobuf.ByteString;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import io.pekkoraft.gateway.grpc.AddLearnerRequest;
import io.pekkoraft.gateway.grpc.ChangeVotersRequest;
import io.pekkoraft.gateway.grpc.KeepAliveRequest;
import io.pekkoraft.gateway.grpc.KeepAliveResponse;
import io.pekkoraft.gateway.grpc.MembershipResponse;
import io.pekkoraft.gateway.grpc.OpenSessionRequest;
import io.pekkoraft.gateway.grpc.OpenSessionResponse;
import io.pekkoraft.gateway.grpc.PromoteRequest;
import io.pekkoraft.gateway.grpc.QueryRequest;
import io.pekkoraft.gateway.grpc.QueryResponse;
import io.pekkoraft.gateway.grpc.ReadConsistency;
import io.pekkoraft.gateway.grpc.RemoveRequest;
import io.pekkoraft.gateway.grpc.StatusRequest;
import io.pekkoraft.gateway.grpc.StatusResponse;
import io.pekkoraft.gateway.grpc.SubmitRequest;
import io.pekkoraft.gateway.grpc.SubmitResponse;
import io.pekkoraft.gateway.grpc.TransferLeadershipRequest;
import io.pekkoraft.gateway.grpc.TransferLeadershipResponse;
import io.pekkoraft.gateway.grpc.WatchAppliedRequest;
import io.grpc.MethodDescriptor;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code raftctl}: the command line of the gateway's {@code pekkoraft.v1.RaftService} (see docs/raftctl.md).
 *
 * <pre>
 *   raftctl [--endpoints HOST:PORT,...] [--group G] [--tls [--cacert F] [--cert F --key F]] [--token T]
 *           [--timeout D] [--output text|json] COMMAND [ARGS]
 *   commands: status, members, add-learner ID ADDRESS, promote ID, remove ID, change-voters ID,...,
 *             transfer-leadership [ID], open-session, keep-alive SESSION, submit JSON [--session S --sequence N],
 *             query JSON [--consistency C], watch [--from N] [--limit N]
 * </pre>
 *
 * The global options may come before or after the command. {@code --group}, {@code --endpoints} and
 * {@code --token} default to the environment's {@code PEKKO_RAFT_GROUP}, {@code PEKKO_RAFT_ENDPOINTS} (else
 * {@code 127.0.0.1:9090}) and {@code PEKKO_RAFT_TOKEN}. Results go to standard output; what went wrong, and whether
 * a command may have been applied, to standard error.
 *
 * <p>Exit codes (a script can rely on them; {@link Outcome} maps the status codes):
 *
 * <pre>
 *   0  ok
 *   1  usage error (unknown command or option, missing or malformed argument): nothing was sent
 *   2  NOT_FOUND or INVALID_ARGUMENT: no such group or member, a malformed payload; not applied
 *   3  UNAVAILABLE: no endpoint reachable, or no leader; a command may have been applied unless the message says
 *      "not applied"
 *   4  DEADLINE_EXCEEDED: --timeout passed; a command may have been applied (outcome unknown)
 *   5  FAILED_PRECONDITION or ABORTED: refused (membership change in progress, session expired, the state machine
 *      refused it, a watch from before the history a member holds); not applied
 *   6  UNAUTHENTICATED or PERMISSION_DENIED: not applied
 *   7  any other failure (RESOURCE_EXHAUSTED, INTERNAL, UNIMPLEMENTED, ...)
 * </pre>
 *
 * <p>It talks to the gateways with grpc-java's channels directly ({@link GatewayClient}), not through an
 * ActorSystem, so that it starts quickly.
 */
@Command(name = "raftctl", mixinStandardHelpOptions = true, version = "raftctl (Pekko Raft, pekkoraft.v1)",
    sortOptions = false, usageHelpAutoWidth = true,
    description = "Calls a Raft group through the Pekko Raft gRPC gateway (pekkoraft.v1.RaftService).",
    subcommands = {RaftCtl.StatusCommand.class, RaftCtl.MembersCommand.class, RaftCtl.AddLearnerCommand.class,
        RaftCtl.PromoteCommand.class, RaftCtl.RemoveCommand.class, RaftCtl.ChangeVotersCommand.class,
        RaftCtl.TransferLeadershipCommand.class, RaftCtl.OpenSessionCommand.class, RaftCtl.KeepAliveCommand.class,
        RaftCtl.SubmitCommand.class, RaftCtl.QueryCommand.class, RaftCtl.WatchCommand.class,
        CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    footerHeading = "%nEnvironment:%n",
    footer = {"  PEKKO_RAFT_ENDPOINTS  default of --endpoints", "  PEKKO_RAFT_GROUP      default of --group",
        "  PEKKO_RAFT_TOKEN      default of --token"})
public final class RaftCtl implements Callable<Integer> {

  static final String DEFAULT_ENDPOINTS = "127.0.0.1:9090";

  enum Output { text, json }

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = {"-e", "--endpoints"}, scope = ScopeType.INHERIT, paramLabel = "HOST:PORT[,...]",
      description = "Gateways to call, tried in order: one that cannot be connected to is skipped; an UNAVAILABLE"
          + " answer moves on only for calls that are safe to repeat. Default: $PEKKO_RAFT_ENDPOINTS, else "
          + DEFAULT_ENDPOINTS + ".")
  String endpoints;

  @Option(names = {"-g", "--group"}, scope = ScopeType.INHERIT, paramLabel = "GROUP",
      description = "The Raft group. Default: $PEKKO_RAFT_GROUP.")
  String group;

  @Option(names = "--tls", scope = ScopeType.INHERIT,
      description = "Connect with TLS (implied by --cacert and --cert).")
  boolean tls;

  @Option(names = "--cacert", scope = ScopeType.INHERIT, paramLabel = "PEM",
      description = "Trust the gateways' certificates signed by these CA certificates (default: the JVM's).")
  File caCert;

  @Option(names = "--cert", scope = ScopeType.INHERIT, paramLabel = "PEM",
      description = "Client certificate chain for mutual TLS (with --key).")
  File cert;

  @Option(names = "--key", scope = ScopeType.INHERIT, paramLabel = "PEM",
      description = "Client private key for mutual TLS, PKCS#8 PEM (with --cert).")
  File key;

  @Option(names = "--authority", scope = ScopeType.INHERIT, paramLabel = "NAME",
      description = "The server name to check the gateway's certificate against (default: the endpoint's host).")
  String authority;

  @Option(names = "--token", scope = ScopeType.INHERIT, paramLabel = "TOKEN",
      description = "Bearer token, sent as 'authorization: Bearer TOKEN'. Default: $PEKKO_RAFT_TOKEN.")
  String token;

  @Option(names = "--token-file", scope = ScopeType.INHERIT, paramLabel = "FILE",
      description = "Read the bearer token from this file (kept out of the process list).")
  File tokenFile;

  @Option(names = {"-t", "--timeout"}, scope = ScopeType.INHERIT, paramLabel = "DURATION",
      converter = DurationConverter.class, defaultValue = "10s",
      description = "The gRPC deadline of each call (e.g. 500ms, 10s, 1m; a plain number is seconds): the"
          + " request's deadline in the group. Default: ${DEFAULT-VALUE}.")
  Duration timeout;

  @Option(names = "--connect-timeout", scope = ScopeType.INHERIT, paramLabel = "DURATION",
      converter = DurationConverter.class, defaultValue = "5s",
      description = "How long to wait for a connection to one endpoint before trying the next. Default: "
          + "${DEFAULT-VALUE}.")
  Duration connectTimeout;

  @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "text|json", defaultValue = "text",
      description = "text for people, json for scripts (one JSON document per line). Default: ${DEFAULT-VALUE}.")
  Output output;

  private final Map<String, String> env;

  RaftCtl(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    // Netty would log through SLF4J, which has no provider here and says so on every start.
    io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(
        io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
    System.exit(commandLine(System.getenv()).execute(args));
  }

  /**
   * raftctl's command line reading defaults from {@code env}; {@link CommandLine#execute} answers the exit code.
   */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine cmd = new CommandLine(new RaftCtl(env));
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    Map<String, String> codes = new LinkedHashMap<>();
    for (String line : Outcome.HELP) {
      int colon = line.indexOf(':');
      codes.put(String.format("%2s", line.substring(0, colon)), line.substring(colon + 1));
    }
    exitCodes(cmd, codes);
    cmd.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("raftctl: " + e.getMessage());
      if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
        err.println("Usage: " + e.getCommandLine().getHelp().synopsis(0).trim() + "   (--help for more)");
      }
      return Outcome.USAGE;
    });
    cmd.setExecutionExceptionHandler((e, command, parsed) -> {
      command.getErr().println("raftctl: failed: " + e);
      return Outcome.OTHER;
    });
    return cmd;
  }

  private static void exitCodes(CommandLine cmd, Map<String, String> codes) {
    cmd.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(codes);
    for (CommandLine sub : cmd.getSubcommands().values()) exitCodes(sub, codes);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(), "no command given (status, members, submit, ...)");
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  boolean json() {
    return output == Output.json;
  }

  String group(CommandLine command) {
    String g = group != null ? group : env.get("PEKKO_RAFT_GROUP");
    if (g == null || g.isBlank()) {
      throw new CommandLine.ParameterException(command, "no group: give --group or set PEKKO_RAFT_GROUP");
    }
    return g;
  }

  List<Endpoint> endpoints(CommandLine command) {
    String list = endpoints != null ? endpoints : env.getOrDefault("PEKKO_RAFT_ENDPOINTS", DEFAULT_ENDPOINTS);
    try {
      return Endpoint.parseList(list);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(command, "--endpoints: " + e.getMessage());
    }
  }

  String token(CommandLine command) {
    if (token != null && tokenFile != null) {
      throw new CommandLine.ParameterException(command, "give --token or --token-file, not both");
    }
    if (tokenFile != null) {
      try {
        return Files.readString(tokenFile.toPath(), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new CommandLine.ParameterException(command, "cannot read --token-file " + tokenFile + ": " + e);
      }
    }
    return token != null ? token : env.get("PEKKO_RAFT_TOKEN");
  }

  ChannelCredentials credentials(CommandLine command) {
    if ((cert == null) != (key == null)) {
      throw new CommandLine.ParameterException(command, "mutual TLS needs both --cert and --key");
    }
    if (!tls && caCert == null && cert == null) return InsecureChannelCredentials.create();
    TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
    try {
      if (caCert != null) builder.trustManager(caCert);
    } catch (IOException | RuntimeException e) {
      throw new CommandLine.ParameterException(command, "cannot read --cacert " + caCert + ": " + e);
    }
    try {
      if (cert != null) builder.keyManager(cert, key);
    } catch (IOException | RuntimeException e) {
      throw new CommandLine.ParameterException(command, "cannot read --cert " + cert + " / --key " + key + ": " + e);
    }
    return builder.build();
  }

  /**
   * Runs {@code body} with a client for the gateways; a failed call prints what happened (and, for a change,
   * whether it may have been applied) on standard error and answers the exit code.
   */
  int run(CommandLine command, String what, Outcome.Kind kind, Function<GatewayClient, Integer> body) {
    GatewayClient.Settings settings = new GatewayClient.Settings(credentials(command), authority, token(command),
        timeout, connectTimeout);
    try (GatewayClient client = new GatewayClient(endpoints(command), settings, err())) {
      return body.apply(client);
    } catch (CallFailure f) {
      err().println("raftctl: " + what + " failed: " + f.getMessage());
      String note = Outcome.appliedNote(kind, f.status.getCode(), f.sent, f.status.getDescription());
      if (note != null) err().println("raftctl: " + note);
      err().flush();
      return Outcome.exitCode(f.status.getCode());
    }
  }

  /** The JSON given on the command line, or a usage error saying why it is not JSON (nothing is sent). */
  static ByteString jsonArgument(CommandLine command, String what, String text) {
    String problem = Formats.jsonProblem(text);
    if (problem != null) {
      throw new CommandLine.ParameterException(command, "the " + what + " is not JSON (" + problem + ")");
    }
    return ByteString.copyFromUtf8(text);
  }

  static final MethodDescriptor<StatusRequest, StatusResponse> STATUS =
      GatewayClient.unary("Status", StatusRequest.getDefaultInstance(), StatusResponse.getDefaultInstance());
  static final MethodDescriptor<SubmitRequest, SubmitResponse> SUBMIT =
      GatewayClient.unary("Submit", SubmitRequest.getDefaultInstance(), SubmitResponse.getDefaultInstance());
  static final MethodDescriptor<QueryRequest, QueryResponse> QUERY =
      GatewayClient.unary("Query", QueryRequest.getDefaultInstance(), QueryResponse.getDefaultInstance());
  static final MethodDescriptor<OpenSessionRequest, OpenSessionResponse> OPEN_SESSION = GatewayClient.unary(
      "OpenSession", OpenSessionRequest.getDefaultInstance(), OpenSessionResponse.getDefaultInstance());
  static final MethodDescriptor<KeepAliveRequest, KeepAliveResponse> KEEP_ALIVE =
      GatewayClient.unary("KeepAlive", KeepAliveRequest.getDefaultInstance(), KeepAliveResponse.getDefaultInstance());
  static final MethodDescriptor<AddLearnerRequest, MembershipResponse> ADD_LEARNER = GatewayClient.unary(
      "AddLearner", AddLearnerRequest.getDefaultInstance(), MembershipResponse.getDefaultInstance());
  static final MethodDescriptor<PromoteRequest, MembershipResponse> PROMOTE =
      GatewayClient.unary("Promote", PromoteRequest.getDefaultInstance(), MembershipResponse.getDefaultInstance());
  static final MethodDescriptor<RemoveRequest, MembershipResponse> REMOVE =
      GatewayClient.unary("Remove", RemoveRequest.getDefaultInstance(), MembershipResponse.getDefaultInstance());
  static final MethodDescriptor<ChangeVotersRequest, MembershipResponse> CHANGE_VOTERS = GatewayClient.unary(
      "ChangeVoters", ChangeVotersRequest.getDefaultInstance(), MembershipResponse.getDefaultInstance());
  static final MethodDescriptor<TransferLeadershipRequest, TransferLeadershipResponse> TRANSFER_LEADERSHIP =
      GatewayClient.unary("TransferLeadership", TransferLeadershipRequest.getDefaultInstance(),
          TransferLeadershipResponse.getDefaultInstance());

  /** What every command has: the global options (through the parent) and its own command line. */
  abstract static class Sub implements Callable<Integer> {
    @ParentCommand
    RaftCtl ctl;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    CommandLine command() {
      return spec.commandLine();
    }

    String group() {
      return ctl.group(command());
    }

    void print(String line) {
      ctl.out().println(line);
      ctl.out().flush();
    }

    int printConfiguration(MembershipResponse response) {
      print(ctl.json() ? Formats.line(Formats.configurationJson(response.getConfiguration()))
          : Formats.configurationText(response.getConfiguration()));
      return Outcome.OK;
    }
  }

  @Command(name = "status", description = "The group as its leader sees it: leader, term, commit index,"
      + " configuration, members, and the serving member's progress.")
  static final class StatusCommand extends Sub {
    @Override
    public Integer call() {
      StatusRequest request = StatusRequest.newBuilder().setGroup(group()).build();
      return ctl.run(command(), "status", Outcome.Kind.READ, client -> {
        StatusResponse status = client.call(STATUS, request, true);
        print(ctl.json() ? Formats.statusJson(status) : Formats.statusText(status));
        return Outcome.OK;
      });
    }
  }

  @Command(name = "members", description = "The group's members: role, voter, match index, recently heard, address.")
  static final class MembersCommand extends Sub {
    @Override
    public Integer call() {
      StatusRequest request = StatusRequest.newBuilder().setGroup(group()).build();
      return ctl.run(command(), "members", Outcome.Kind.READ, client -> {
        StatusResponse status = client.call(STATUS, request, true);
        print(ctl.json() ? Formats.line(Formats.membersJson(status.getMembersList()))
            : Formats.membersText(status.getMembersList()));
        return Outcome.OK;
      });
    }
  }

  @Command(name = "add-learner", description = "Adds a learner (a non-voting member that catches up); prints the"
      + " committed configuration.")
  static final class AddLearnerCommand extends Sub {
    @Parameters(index = "0", paramLabel = "ID", description = "The new member's id.")
    String memberId;

    @Parameters(index = "1", paramLabel = "ADDRESS", description = "Its Pekko address, e.g. pekko://system@host:port.")
    String address;

    @Override
    public Integer call() {
      AddLearnerRequest request = AddLearnerRequest.newBuilder().setGroup(group()).setMemberId(memberId)
          .setAddress(address).build();
      return ctl.run(command(), "add-learner", Outcome.Kind.CHANGE,
          client -> printConfiguration(client.call(ADD_LEARNER, request, false)));
    }
  }

  @Command(name = "promote", description = "Makes a learner that has caught up a voter.")
  static final class PromoteCommand extends Sub {
    @Parameters(index = "0", paramLabel = "ID")
    String memberId;

    @Override
    public Integer call() {
      PromoteRequest request = PromoteRequest.newBuilder().setGroup(group()).setMemberId(memberId).build();
      return ctl.run(command(), "promote", Outcome.Kind.CHANGE,
          client -> printConfiguration(client.call(PROMOTE, request, false)));
    }
  }

  @Command(name = "remove", description = "Removes a member (voter or learner).")
  static final class RemoveCommand extends Sub {
    @Parameters(index = "0", paramLabel = "ID")
    String memberId;

    @Override
    public Integer call() {
      RemoveRequest request = RemoveRequest.newBuilder().setGroup(group()).setMemberId(memberId).build();
      return ctl.run(command(), "remove", Outcome.Kind.CHANGE,
          client -> printConfiguration(client.call(REMOVE, request, false)));
    }
  }

  @Command(name = "change-voters", description = "Replaces the voters with these (a joint change).")
  static final class ChangeVotersCommand extends Sub {
    @Parameters(index = "0", paramLabel = "ID,...", split = ",", arity = "1..*", description = "The new voters.")
    List<String> voters;

    @Option(names = "--address", paramLabel = "ID=ADDRESS",
        description = "The Pekko address of a voter that is not a member yet (repeatable).")
    Map<String, String> addresses = new LinkedHashMap<>();

    @Override
    public Integer call() {
      ChangeVotersRequest request = ChangeVotersRequest.newBuilder().setGroup(group()).addAllVoters(voters)
          .putAllAddresses(addresses).build();
      return ctl.run(command(), "change-voters", Outcome.Kind.CHANGE,
          client -> printConfiguration(client.call(CHANGE_VOTERS, request, false)));
    }
  }

  @Command(name = "transfer-leadership", description = "Hands the leadership to a voter (default: the most"
      + " up-to-date other voter); prints the new leader.")
  static final class TransferLeadershipCommand extends Sub {
    @Parameters(index = "0", paramLabel = "ID", arity = "0..1")
    String memberId;

    @Override
    public Integer call() {
      TransferLeadershipRequest request = TransferLeadershipRequest.newBuilder().setGroup(group())
          .setMemberId(memberId == null ? "" : memberId).build();
      return ctl.run(command(), "transfer-leadership", Outcome.Kind.CHANGE, client -> {
        TransferLeadershipResponse response = client.call(TRANSFER_LEADERSHIP, request, false);
        print(ctl.json() ? Formats.line(Formats.MAPPER.createObjectNode().put("leader", response.getLeader()))
            : response.getLeader());
        return Outcome.OK;
      });
    }
  }

  @Command(name = "open-session", description = "Opens a client session and prints its id: submit --session ID"
      + " --sequence 1, 2, ... then applies each command at most once, however often a script retries it.")
  static final class OpenSessionCommand extends Sub {
    @Override
    public Integer call() {
      OpenSessionRequest request = OpenSessionRequest.newBuilder().setGroup(group()).build();
      return ctl.run(command(), "open-session", Outcome.Kind.OPEN_SESSION, client -> {
        OpenSessionResponse response = client.call(OPEN_SESSION, request, false);
        print(ctl.json() ? Formats.line(Formats.MAPPER.createObjectNode().put("session_id", response.getSessionId())
            .put("ttl_ms", response.getTtlMs())) : Long.toUnsignedString(response.getSessionId()));
        return Outcome.OK;
      });
    }
  }

  @Command(name = "keep-alive", description = "Keeps a session alive (it expires after the group's session TTL"
      + " of log time without a command or keep-alive).")
  static final class KeepAliveCommand extends Sub {
    @Parameters(index = "0", paramLabel = "SESSION")
    long sessionId;

    @Override
    public Integer call() {
      KeepAliveRequest request = KeepAliveRequest.newBuilder().setGroup(group()).setSessionId(sessionId).build();
      return ctl.run(command(), "keep-alive", Outcome.Kind.READ, client -> {
        client.call(KEEP_ALIVE, request, true);
        return Outcome.OK;
      });
    }
  }

  @Command(name = "submit", description = "Submits a command to a group whose codec is JSON and prints the"
      + " state machine's result (JSON; with --output json: {\"index\": N, \"result\": ...}).")
  static final class SubmitCommand extends Sub {
    @Parameters(index = "0", paramLabel = "JSON", description = "The command, as the group's JSON.")
    String json;

    @Option(names = "--session", paramLabel = "ID", description = "A session from open-session (with --sequence).")
    Long sessionId;

    @Option(names = "--sequence", paramLabel = "N",
        description = "This command's number in the session, 1, 2, ...; a retry carries the same.")
    Long sequence;

    @Option(names = "--acked", paramLabel = "N", defaultValue = "0",
        description = "Every sequence up to N has been answered: the group may forget their results.")
    long acked;

    @Override
    public Integer call() {
      if ((sessionId == null) != (sequence == null)) {
        throw new CommandLine.ParameterException(command(), "--session and --sequence go together");
      }
      if (sequence != null && sequence <= 0) {
        throw new CommandLine.ParameterException(command(), "--sequence starts at 1");
      }
      SubmitRequest.Builder request = SubmitRequest.newBuilder().setGroup(group())
          .setPayload(jsonArgument(command(), "command", json));
      boolean inSession = sessionId != null;
      if (inSession) request.setSessionId(sessionId).setSequence(sequence).setAckedSequence(acked);
      return ctl.run(command(), "submit", inSession ? Outcome.Kind.SESSION_COMMAND : Outcome.Kind.COMMAND, client -> {
        SubmitResponse response = client.call(SUBMIT, request.build(), inSession);
        print(ctl.json() ? Formats.submitted(response.getIndex(), response.getResult())
            : Formats.text(response.getResult()));
        return Outcome.OK;
      });
    }
  }

  @Command(name = "query", description = "Reads from a group whose codec is JSON and prints the result (JSON;"
      + " with --output json: {\"result\": ...}).")
  static final class QueryCommand extends Sub {
    @Parameters(index = "0", paramLabel = "JSON", description = "The query, as the group's JSON.")
    String json;

    @Option(names = "--consistency", paramLabel = "C", defaultValue = "LINEARIZABLE",
        description = "LINEARIZABLE (ReadIndex on the leader), STALE (the serving member's state), LEASE or"
            + " FOLLOWER. Default: ${DEFAULT-VALUE}.")
    ReadConsistency consistency;

    @Option(names = "--max-lag", paramLabel = "N", defaultValue = "0",
        description = "STALE: refuse when the member is more than N entries behind (0: no bound).")
    long maxLag;

    @Option(names = "--min-index", paramLabel = "N", defaultValue = "0",
        description = "STALE: refuse when the member has applied less than index N (0: no bound).")
    long minIndex;

    @Override
    public Integer call() {
      if (consistency == ReadConsistency.UNRECOGNIZED) {
        throw new CommandLine.ParameterException(command(), "--consistency: LINEARIZABLE, STALE, LEASE or FOLLOWER");
      }
      QueryRequest request = QueryRequest.newBuilder().setGroup(group())
          .setPayload(jsonArgument(command(), "query", json)).setConsistency(consistency)
          .setMaxLagEntries(maxLag).setMinIndex(minIndex).build();
      return ctl.run(command(), "query", Outcome.Kind.READ, client -> {
        QueryResponse response = client.call(QUERY, request, true);
        print(ctl.json() ? Formats.queried(response.getResult()) : Formats.text(response.getResult()));
        return Outcome.OK;
      });
    }
  }

  @Command(name = "watch", description = "Prints one JSON line per command the group applies, from --from on, in"
      + " log order: {\"index\", \"term\", \"payload\", \"result\" or \"error\", \"session_id\", \"sequence\"}."
      + " When a gateway goes away it resumes on the next endpoint from the last index + 1 (no gap, no"
      + " duplicate). --timeout applies to each connection, not to the stream.")
  static final class WatchCommand extends Sub {
    @Option(names = "--from", paramLabel = "N", defaultValue = "1",
        description = "The first log index to print. Default: ${DEFAULT-VALUE}.")
    long from;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
        description = "Stop after N events, with exit code 0 (0: follow until interrupted).")
    long limit;

    @Override
    public Integer call() {
      if (from < 1 || limit < 0) {
        throw new CommandLine.ParameterException(command(), "--from starts at 1 and --limit is not negative");
      }
      WatchAppliedRequest request = WatchAppliedRequest.newBuilder().setGroup(group()).setFromIndex(from).build();
      return ctl.run(command(), "watch", Outcome.Kind.READ, client -> {
        client.watch(request, limit, event -> print(Formats.event(event)));
        return Outcome.OK;
      });
    }
  }

  /** 500ms, 10s, 2m, 1h, or a plain number of seconds. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
      Matcher m = FORMAT.matcher(value.trim());
      if (!m.matches()) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 500ms, 10s, 1m)");
      }
      long amount = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2) == null ? "s" : m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofSeconds(amount);
      };
      if (d.isZero()) throw new CommandLine.TypeConversionException("a duration of 0 allows no call");
      return d;
    }
  }
}
