"""The default policy of the reviewer checks (issue 14), in a module that imports nothing, so that
the parameter schema (rmwork.params) can check a lot's ``certificate.checks`` without importing
the certificate machinery (which reads the lot's parameters: no import cycle)."""

# Which reviewer checks withhold an analyte (block) and which only ask the reviewer to look
# (advise): the defaults a reviewer would choose (issue 14); a lot changes them in certificate.checks.
CHECK_POLICY_DEFAULT = {
    "characterized": "block",  # a value could be assigned at all
    "certified_unit": "block",  # an analyte the lot lists has a unit (its entry or its data)
    "coverage_factor": "block",  # k can be taken from ν_eff
    "study_ran": "block",  # every study the lot names ran for the certificate
    "transfer_unit": "block",  # every study transferred into the budget has a known unit
    "homogeneity_estimable": "block",  # the within-unit spread could be estimated
    "validity_supported": "block",  # the stability data support the period of validity
    "stability_fit": "block",  # the straight line fits the stability data
    "stability_covered": "advise",  # the long-term study the lot names includes this analyte
    "bayes_diagnostics": "block",  # MCMC diagnostics of a value that enters the certificate
    "u_bb_vs_u_char": "advise",
    "stability_share": "advise",
    "method_agreement": "advise",
    "U_rounded_not_smaller": "advise",
}
