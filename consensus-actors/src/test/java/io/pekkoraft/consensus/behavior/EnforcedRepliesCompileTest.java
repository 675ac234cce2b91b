package io.pekkoraft.consensus.behavior;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * With {@link ReplicatedBehaviorWithEnforcedReplies} a command handler that forgets to reply does not
 * compile: the same source compiles with {@code thenReply} and fails without it, on the return type.
 */
class EnforcedRepliesCompileTest {

  private static String source(String incrementCase) {
    return """
        package snippet;
        import io.pekkoraft.consensus.behavior.*;
        import org.apache.pekko.actor.typed.ActorRef;
        public final class Counter extends ReplicatedBehaviorWithEnforcedReplies<Counter.Increment, Long, Long> {
          public record Increment(long delta, ActorRef<Long> replyTo) {}
          @Override public Long emptyState() { return 0L; }
          @Override public CommandHandlerWithReply<Increment, Long, Long> commandHandler() {
            return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Increment.class, cmd -> %s)
                .build();
          }
          @Override public EventHandler<Long, Long> eventHandler() {
            return newEventHandlerBuilder().forAnyState().onEvent(Long.class, (s, e) -> s + e).build();
          }
        }
        """.formatted(incrementCase);
  }

  private record Result(boolean compiled, String diagnostics) {}

  private static Result compile(String source) throws Exception {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///snippet/Counter.java"), JavaFileObject.Kind.SOURCE) {
      @Override
      public CharSequence getCharContent(boolean ignoreEncodingErrors) {
        return source;
      }
    };
    Path out = Files.createTempDirectory("enforced-replies");
    List<String> options = List.of("-classpath", System.getProperty("java.class.path"), "-d", out.toString());
    boolean ok = compiler.getTask(new StringWriter(), null, diagnostics, options, null, List.of(file)).call();
    return new Result(ok, diagnostics.getDiagnostics().toString());
  }

  @Test
  void aHandlerThatRepliesCompiles() throws Exception {
    Result r = compile(source("Effect().replicate(cmd.delta()).thenReply(cmd.replyTo(), s -> s)"));
    assertTrue(r.compiled(), r.diagnostics());
  }

  @Test
  void aHandlerThatForgetsToReplyDoesNotCompile() throws Exception {
    Result r = compile(source("Effect().replicate(cmd.delta())"));
    assertFalse(r.compiled(), "a handler without a reply compiled");
    assertTrue(r.diagnostics().contains("ReplyEffect"), "the error names the missing ReplyEffect: " + r.diagnostics());
  }
}
