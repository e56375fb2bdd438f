"""编制: an agency writes its annual report in nianbao, right by construction."""
