"""The learning loop: reviewed and lab-labelled samples -> an export -> a fine-tuned candidate
-> an evaluation against the model in service -> a promotion (or a refusal) in a chained
model registry that the running gate follows between inspections."""
