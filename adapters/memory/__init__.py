"""The in-memory platform: a whole chat (channels, members, posts, reactions) in this
process, behind the same boundary as Discord and Slack. For tests and demos; see
README.md in this folder."""
