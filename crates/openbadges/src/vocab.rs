//! Open vocabularies of OB 3.0 App. B.2 (enumerations that allow `ext:` extensions).

use crate::open_enum::open_enum;

open_enum! {
    /// `AchievementType` (OB 3.0 B.2.1): the kind of achievement.
    AchievementType {
        Achievement => "Achievement",
        ApprenticeshipCertificate => "ApprenticeshipCertificate",
        Assessment => "Assessment",
        Assignment => "Assignment",
        AssociateDegree => "AssociateDegree",
        Award => "Award",
        Badge => "Badge",
        BachelorDegree => "BachelorDegree",
        Certificate => "Certificate",
        CertificateOfCompletion => "CertificateOfCompletion",
        Certification => "Certification",
        CommunityService => "CommunityService",
        Competency => "Competency",
        Course => "Course",
        CoCurricular => "CoCurricular",
        Degree => "Degree",
        Diploma => "Diploma",
        DoctoralDegree => "DoctoralDegree",
        Fieldwork => "Fieldwork",
        GeneralEducationDevelopment => "GeneralEducationDevelopment",
        JourneymanCertificate => "JourneymanCertificate",
        LearningProgram => "LearningProgram",
        License => "License",
        Membership => "Membership",
        ProfessionalDoctorate => "ProfessionalDoctorate",
        QualityAssuranceCredential => "QualityAssuranceCredential",
        MasterCertificate => "MasterCertificate",
        MasterDegree => "MasterDegree",
        MicroCredential => "MicroCredential",
        ResearchDoctorate => "ResearchDoctorate",
        SecondarySchoolDiploma => "SecondarySchoolDiploma",
    }
}

open_enum! {
    /// `IdentifierTypeEnum` (OB 3.0 B.2.4): the kind of identity in an `IdentityObject`
    /// or `IdentifierEntry`.
    IdentityType {
        Name => "name",
        SourcedId => "sourcedId",
        SystemId => "systemId",
        ProductId => "productId",
        UserName => "userName",
        AccountId => "accountId",
        EmailAddress => "emailAddress",
        NationalIdentityNumber => "nationalIdentityNumber",
        Isbn => "isbn",
        Issn => "issn",
        LisSourcedId => "lisSourcedId",
        OneRosterSourcedId => "oneRosterSourcedId",
        SisSourcedId => "sisSourcedId",
        LtiContextId => "ltiContextId",
        LtiDeploymentId => "ltiDeploymentId",
        LtiToolId => "ltiToolId",
        LtiPlatformId => "ltiPlatformId",
        LtiUserId => "ltiUserId",
        Identifier => "identifier",
    }
}

open_enum! {
    /// `AlignmentTargetType` (OB 3.0 B.2.2): the framework a target belongs to.
    AlignmentTargetType {
        CeasnCompetency => "ceasn:Competency",
        CetermsCredential => "ceterms:Credential",
        CfItem => "CFItem",
        CfRubric => "CFRubric",
        CfRubricCriterion => "CFRubricCriterion",
        CfRubricCriterionLevel => "CFRubricCriterionLevel",
        Ctdl => "CTDL",
    }
}

open_enum! {
    /// `ResultType` (OB 3.0 B.2.6): what a `ResultDescription` measures.
    ResultType {
        GradePointAverage => "GradePointAverage",
        LetterGrade => "LetterGrade",
        Percent => "Percent",
        PerformanceLevel => "PerformanceLevel",
        PredictedScore => "PredictedScore",
        RawScore => "RawScore",
        Result => "Result",
        RubricCriterion => "RubricCriterion",
        RubricCriterionLevel => "RubricCriterionLevel",
        RubricScore => "RubricScore",
        ScaledScore => "ScaledScore",
        Status => "Status",
    }
}

open_enum! {
    /// `ResultStatusType` (OB 3.0 B.2.7): required in a `Result` whose description has
    /// `resultType` `Status`.
    ResultStatus {
        Completed => "Completed",
        Enrolled => "Enrolled",
        Failed => "Failed",
        InProgress => "InProgress",
        OnHold => "OnHold",
        Provisional => "Provisional",
        Withdrew => "Withdrew",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept() {
        let t: AchievementType = serde_json::from_str("\"ext:Hackathon\"").unwrap();
        assert_eq!(t, AchievementType::Other("ext:Hackathon".into()));
        assert!(t.is_extension());
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"ext:Hackathon\"");
        assert_eq!(
            AchievementType::from("MicroCredential"),
            AchievementType::MicroCredential
        );
        assert_eq!(IdentityType::EmailAddress.as_str(), "emailAddress");
        assert_eq!(
            AlignmentTargetType::from("CFItem"),
            AlignmentTargetType::CfItem
        );
    }
}
