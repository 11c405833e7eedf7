/** The emoji shortcodes Warden's messages use (and a few common ones), as Slack shows them. */
const EMOJI: Record<string, string> = {
  arrow_forward: '▶️',
  checkered_flag: '🏁',
  gear: '⚙️',
  ghost: '👻',
  grey_question: '❔',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  large_green_circle: '🟢',
  large_orange_circle: '🟠',
  mag: '🔍',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  octagonal_sign: '🛑',
  raised_hand: '✋',
  red_circle: '🔴',
  rotating_light: '🚨',
  small_blue_diamond: '🔹',
  warning: '⚠️',
  white_check_mark: '✅',
  x: '❌',
  lock: '🔒',
  eyes: '👀',
  tada: '🎉',
  thumbsup: '👍',
  '+1': '👍',
  fire: '🔥',
  robot_face: '🤖',
  information_source: 'ℹ️',
  memo: '📝',
  ticket: '🎫',
};

/** Replaces known `:shortcode:`s in already-escaped HTML text; unknown ones stay as written. */
export function replaceEmoji(html: string): string {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => {
    const emoji = EMOJI[name];
    return emoji ? `<span class="emoji" title=":${name}:">${emoji}</span>` : whole;
  });
}
