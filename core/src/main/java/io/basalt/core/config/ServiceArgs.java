package io.basalt.core.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A service's command line with {@code --config FILE} replaced by the flags that file gives the service
 * ({@link HostConfig}); a flag on the command line wins over the file. Every Main parses the result as before,
 * and {@link #explain} turns a {@link BadFlag} from a value of the file into a message naming its key and file.
 *
 * @param role the service's role, as in {@link HostConfig#ROLES}
 * @param config the file, or null when the command line named none
 * @param fromFile the flags the file supplied (flag -> key and value)
 */
public record ServiceArgs(String role, String[] args, HostConfig config, Map<String, HostConfig.Setting> fromFile) {

    public static final String CONFIG_FLAG = "--config";
    private static final Pattern LEADING_FLAG = Pattern.compile("--([a-z0-9-]+)");

    /**
     * {@code parser} applied to {@code argv} with its config file folded in: what each Main runs at start.
     *
     * @throws IllegalArgumentException with a message for the operator: a bad value from the file names its key
     *     and the file
     */
    public static <T> T parse(ServiceFlags service, String[] argv, Function<String[], T> parser) {
        ServiceArgs resolved = resolve(service, argv);
        try {
            return parser.apply(resolved.args());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(resolved.explain(e), e);
        }
    }

    /** @throws IllegalArgumentException for a config file that does not load or does not fit the service */
    public static ServiceArgs resolve(ServiceFlags service, String[] argv) {
        List<String> cli = new ArrayList<>(List.of(argv));
        int at = cli.indexOf(CONFIG_FLAG);
        if (at < 0) return new ServiceArgs(service.role(), argv, null, Map.of());
        if (at + 1 >= cli.size()) throw new IllegalArgumentException(CONFIG_FLAG + " needs a FILE");
        HostConfig config = HostConfig.load(Path.of(cli.get(at + 1)));
        cli.subList(at, at + 2).clear();
        if (cli.contains(CONFIG_FLAG)) throw new IllegalArgumentException(CONFIG_FLAG + " is given twice");

        Set<String> onCommandLine = new HashSet<>();
        for (String a : cli) {
            if (a.startsWith("--") && service.knows(a.substring(2))) onCommandLine.add(a.substring(2));
        }
        Map<String, HostConfig.Setting> fromFile = new java.util.LinkedHashMap<>(config.flagsFor(service));
        fromFile.keySet().removeAll(onCommandLine);
        List<String> args = new ArrayList<>();
        fromFile.forEach((flag, setting) -> {
            if (!service.switches().contains(flag)) {
                args.add("--" + flag);
                args.add(setting.value());
            } else if (setting.value().equals("true")) {
                args.add("--" + flag);
            }
        });
        args.addAll(cli);
        return new ServiceArgs(service.role(), args.toArray(String[]::new), config, Map.copyOf(fromFile));
    }

    /**
     * {@code e}'s message, told in the config file's terms when it is about a flag the file gave: a message that
     * starts with the flag ({@link BadFlag}'s all do, and the services' other checks mostly) then starts with the
     * file and its key.
     */
    public String explain(IllegalArgumentException e) {
        String message = e.getMessage();
        if (config == null) return message;
        Matcher leading = LEADING_FLAG.matcher(message);
        if (!leading.lookingAt()) return message + " (from the command line and " + config.file() + ")";
        String flag = leading.group(1);
        HostConfig.Setting setting = fromFile.get(flag);
        if (setting != null) return config.file() + ": " + setting.key() + message.substring(leading.end());
        if (e instanceof BadFlag bad && bad.problem().equals("is required"))
            return config.file() + ": " + role + "." + flag + " is required (or --" + flag + ")";
        return message; // about a flag of the command line, or a default
    }
}
